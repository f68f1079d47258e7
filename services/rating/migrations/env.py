from kit.migrate import run_env
from services.rating.models import Base

run_env(Base.metadata)
