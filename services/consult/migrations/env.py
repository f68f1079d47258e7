from kit.migrate import run_env
from services.consult.models import Base

run_env(Base.metadata)
