"""The Dockerfile, read rather than built (no Docker engine here): multi-stage, non-root, the code and generated
modules on PYTHONPATH, the context holding what it copies, and gRPC code generated as `make proto` does."""

from __future__ import annotations

import fnmatch
import re
import shlex

from tests.deploy.checks import as_text
from tests.deploy.manifests import REPO, procfile

DOCKERFILE = (REPO / "Dockerfile").read_text()


def stages() -> list[list[tuple[str, str]]]:
    """The instructions (keyword, arguments) of each stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    result: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        if keyword.upper() == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword.upper(), args.strip()))
    return result


def final_env() -> dict[str, str]:
    env = {}
    for keyword, args in stages()[-1]:
        if keyword == "ENV":
            for word in shlex.split(args):
                key, _, value = word.partition("=")
                env[key] = value
    return env


def in_context(path: str) -> bool:
    """Whether .dockerignore lets `path` into the build context (the last matching pattern wins)."""
    included = True
    for pattern in (REPO / ".dockerignore").read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path.rstrip("/"), pattern):
            included = negate
    return included


def test_multi_stage_and_non_root():
    assert len(stages()) >= 2
    users = [args for keyword, args in stages()[-1] if keyword == "USER"]
    assert users, "the final stage chooses a user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root uid, so that runAsNonRoot can check it"


def test_the_image_finds_the_code_and_listens_in_the_container():
    env = final_env()
    assert env["PYTHONPATH"].split(":") == ["/app", "/app/gen"]
    assert env["ZHITONG_BIND_HOST"] == "0.0.0.0"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1", "the root filesystem is read-only"


def test_what_is_copied_is_in_the_context():
    problems = []
    for stage in stages():
        for keyword, args in stage:
            if keyword == "COPY" and not args.startswith("--from"):
                for source in shlex.split(args)[:-1]:
                    if not (REPO / source).exists():
                        problems.append(f"COPY {source}: does not exist")
                    elif not in_context(source):
                        problems.append(f"COPY {source}: .dockerignore keeps it out of the context")
    assert not problems, as_text(problems)
    assert not in_context("tests") and not in_context(".venv") and not in_context("var")


def test_every_kubernetes_process_is_in_the_image():
    copied = {
        shlex.split(args)[-1].rstrip("/").removeprefix("/app/") for keyword, args in stages()[-1] if keyword == "COPY"
    }
    for name, command in procfile().items():
        if name == "welcome":
            continue
        module = command[command.index("-m") + 1]
        assert module.split(".")[0] in copied, f"{name}: {module} is not in the image"
    assert "gen" in copied and "data" in copied


def test_grpc_code_is_generated_as_make_proto_does():
    makefile = (REPO / "Makefile").read_text()
    make_options = re.search(r"grpc_tools\.protoc (.*?) \$\(PROTOS\)", makefile).group(1)
    assert f"grpc_tools.protoc {make_options} $(find proto -name '*.proto')" in re.sub(r"\\\n\s*", "", DOCKERFILE)


def test_removed_tools_are_not_needed_at_run_time():
    removed = next(args for s in stages() for k, args in s if k == "RUN" and "pip uninstall" in args).split()[3:]
    imports = {
        "grpcio-tools": "grpc_tools",
        "honcho": "honcho",
        "pytest": "pytest",
        "hypothesis": "hypothesis",
        "ruff": "ruff",
        "uv": "uv",
        "playwright": "playwright",
    }
    assert set(removed) <= set(imports)
    for path in [*(REPO / "kit").rglob("*.py"), *(REPO / "services").rglob("*.py")]:
        text = path.read_text("utf-8")
        for package in removed:
            assert not re.search(rf"^\s*(import|from) {imports[package]}\b", text, re.M), f"{path} imports {package}"
