"""PyGithub's App and secret dependencies load at first use (bumper/providers/deferred.py): a
GitHub run no longer pays for them, and what uses them still works. Each check runs in a fresh
interpreter, as a bumper run starts, since this test process has imported them already."""

from __future__ import annotations

import json
import subprocess
import sys

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from testing.github_app import new_key_pem

LOADED = "import json, sys; print(json.dumps(sorted(m for m in {names!r} if m in sys.modules)))"


def _python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_the_provider_imports_pygithub_without_its_app_and_secret_dependencies() -> None:
    names = ["github", "jwt", "cryptography", "nacl.bindings", "_sodium"]
    loaded = json.loads(_python("import bumper.providers.github\n" + LOADED.format(names=names)))
    assert loaded == ["github", "jwt"]  # jwt only bound, not run: cryptography never came


def test_an_app_jwt_is_still_signed_through_the_deferred_module() -> None:
    key = new_key_pem()
    code = (
        "import sys, bumper.providers.github\n"
        "from github import Auth\n"
        "assert 'cryptography' not in sys.modules\n"
        f"print(Auth.AppAuth(98765, {key!r}, jwt_expiry=540).token)\n"
    )
    token = _python(code)
    public = load_pem_private_key(key.encode(), password=None).public_key()
    claims = jwt.decode(token, public, algorithms=["RS256"])  # type: ignore[arg-type]
    assert claims["iss"] == "98765" and claims["exp"] - claims["iat"] <= 600


def test_pygithubs_secret_encryption_still_works() -> None:
    code = (
        "import base64, bumper.providers.github\n"
        "from nacl.public import PrivateKey, SealedBox\n"
        "from github.PublicKey import encrypt\n"
        "key = PrivateKey.generate()\n"
        "sealed = encrypt(base64.b64encode(bytes(key.public_key)).decode(), 'hunter2')\n"
        "print(SealedBox(key).decrypt(base64.b64decode(sealed)).decode())\n"
    )
    assert _python(code) == "hunter2"


def test_a_module_imported_before_is_left_as_it_is() -> None:
    code = (
        "import jwt, sys, bumper.providers.github\n"
        "from github import Auth\n"
        "print(type(Auth.jwt).__name__, Auth.jwt is jwt, 'cryptography' in sys.modules)\n"
    )
    assert _python(code) == "module True True"


def test_outside_the_block_a_first_import_is_eager() -> None:
    code = (
        "import sys\n"
        "from bumper.providers.deferred import deferring\n"
        "with deferring('jwt'):\n"
        "    pass\n"
        "import jwt\n"
        "print(type(jwt).__name__, 'cryptography' in sys.modules)\n"
    )
    assert _python(code) == "module True"
