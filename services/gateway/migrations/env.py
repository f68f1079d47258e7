from kit.migrate import run_env
from services.gateway.models import Base

run_env(Base.metadata)
