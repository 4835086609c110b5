"""argon2id password hashing and the password policy."""
from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from zxcvbn import zxcvbn
from zxcvbn.matching import RANKED_DICTIONARIES, add_frequency_lists

from tracker.config import DEFAULTS

# argon2id's cost: ARGON2_TIME_COST, ARGON2_MEMORY_KIB and ARGON2_PARALLELISM (config.py),
# by default RFC 9106's low-memory profile (t=3, m=64 MiB, p=4), argon2-cffi's own defaults.
# The test suite lowers them; a hash made with other parameters is redone at the next login.
ARGON2_KEYS = ("ARGON2_TIME_COST", "ARGON2_MEMORY_KIB", "ARGON2_PARALLELISM")


@lru_cache(maxsize=4)
def _hasher_with(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


# OWASP's minimum configurations for argon2id (Password Storage Cheat Sheet), as
# (passes, memory in KiB), each with at least one lane: they trade memory for passes.
# Production refuses to start below all of them, however configured.
ARGON2_FLOORS = ((1, 47104), (2, 19456), (3, 12288), (4, 9216), (5, 7168))


def argon2_too_weak(config) -> str | None:
    """A message naming the argon2 parameters when they are below OWASP's minimum, or None."""
    time_cost, memory_kib, parallelism = (int(config.get(key, DEFAULTS[key])) for key in ARGON2_KEYS)
    if parallelism >= 1 and any(time_cost >= t and memory_kib >= m for t, m in ARGON2_FLOORS):
        return None
    given = "，".join(f"TRACKER_{key}={config.get(key, DEFAULTS[key])}" for key in ARGON2_KEYS)
    floors = "、".join(f"{t} 遍 {m} KiB" for t, m in ARGON2_FLOORS)
    return (f"生产模式拒绝启动：密码哈希（argon2id）参数过低（{given}）；"
            f"至少应为以下之一：{floors}，并行度至少 1。")


def _hasher() -> PasswordHasher:
    """The hasher of the current app's configuration (the defaults outside an app)."""
    config = current_app.config if has_app_context() else DEFAULTS
    return _hasher_with(*(int(config.get(key, DEFAULTS[key])) for key in ARGON2_KEYS))

MIN_LENGTH = 8
MAX_LENGTH = 128
# zxcvbn's score: 0-2 fall to an online or a fast offline attack; 3 needs ~10^8 guesses or more.
MIN_SCORE = 3
# zxcvbn slows down on long input; the first 100 characters are enough to judge the rest.
_SCORED_LENGTH = 100
# Shorter user names are not looked for inside a password (they occur in ordinary words).
_MIN_NAME_PART = 3

# zxcvbn's lists are English; these pinyin words and Chinese favourites (from leaked Chinese
# password lists and this system's own context) are ranked as common words as well.
CHINESE_WORDS = """
woaini 5201314 1314520 woaini1314 520520 aini1314 iloveyou wangyi woshishui zhongguo china
beijing shanghai jilin changchun huawei xiaomi qq123456 baidu taobao gongwen zhengfu renda
zhengxie jiaoban duban tian zhang wang liuyang laopo laogong baobao mima mima123 kaixin
xingfu pingan fazhan jianshe dangyuan yiqie shunli tianshi gongzuo bangong admin888
""".split()
add_frequency_lists({"chinese_common": CHINESE_WORDS})

COMMON_MESSAGE = "该密码过于常见，容易被猜中，请换一个。"
WEAK_MESSAGE = "该密码太容易被猜中，请加长，或用几个不相关的词组成。"
SAME_AS_USERNAME = "密码不能与用户名相同。"
HAS_USERNAME = "密码不能包含用户名（含倒写，或在前后加数字、符号）。"
HAS_FULL_NAME = "密码不能包含本人姓名。"
HAS_UNIT_NAME = "密码不能包含所在单位的名称或简称。"


def hash_password(password: str) -> str:
    return _hasher().hash(password)


# Compared against when there is no usable hash (an unknown or a locked account), so that
# every failed login costs the same argon2 work as a wrong password: verify_password takes it
# for a real hash made with the configured parameters.
DUMMY_HASH = "dummy"


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password-0")


def prepare_dummy_hash(config) -> None:
    """Make the dummy hash at start-up, so that not even the first failed login is faster."""
    _dummy_hash(_hasher_with(*(int(config.get(key, DEFAULTS[key])) for key in ARGON2_KEYS)))


def verify_password(stored_hash: str, password: str) -> tuple[bool, bool]:
    """Return (matches, needs_rehash)."""
    hasher = _hasher()
    if stored_hash == DUMMY_HASH:
        stored_hash = _dummy_hash(hasher)
    try:
        hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, False
    return True, hasher.check_needs_rehash(stored_hash)


def _letters(text: str) -> str:
    """Lower-case letters and digits only: `JYT_cbr` and `jyt-cbr` both become `jytcbr`."""
    return re.sub(r"[\W_]+", "", text.lower())


def _personal_problems(password: str, username: str, full_name: str,
                       unit_names: tuple[str, ...]) -> list[str]:
    problems = []
    lowered, letters = password.lower(), _letters(password)
    name = username.strip().lower()
    if name and lowered == name:
        return [SAME_AS_USERNAME]
    if name:
        candidates = {name, _letters(name)}
        candidates |= {c[::-1] for c in candidates}
        if any(len(c) >= _MIN_NAME_PART and (c in lowered or c in letters) for c in candidates):
            problems.append(HAS_USERNAME)
    full_name = re.sub(r"\s+", "", full_name or "").lower()
    if len(full_name) >= 2 and full_name in re.sub(r"\s+", "", lowered):
        problems.append(HAS_FULL_NAME)
    if any(len(n) >= 2 and n.lower() in lowered for n in (u.strip() for u in unit_names)):
        problems.append(HAS_UNIT_NAME)
    return problems


_LEAKED = {"passwords", "chinese_common"}


def _is_listed(result: dict, password: str) -> bool:
    """Whether the password is on zxcvbn's list of leaked passwords (or ours), as it is or
    reversed or with l33t substitutions such as P@ssw0rd."""
    if any(password.lower() in RANKED_DICTIONARIES[name] for name in _LEAKED):
        return True
    return any(m["pattern"] == "dictionary" and m.get("dictionary_name") in _LEAKED
               and m["i"] == 0 and m["j"] == len(password) - 1 for m in result["sequence"])


def policy_problems(password: str, username: str = "", *, full_name: str = "",
                    unit_names: tuple[str, ...] = ()) -> list[str]:
    """Chinese messages for every way the password breaks the policy (empty when fine)."""
    if len(password) < MIN_LENGTH:
        return [f"密码至少 {MIN_LENGTH} 个字符。"]
    if len(password) > MAX_LENGTH:
        return [f"密码最多 {MAX_LENGTH} 个字符。"]
    problems = _personal_problems(password, username, full_name, unit_names)
    if problems:
        return problems
    scored = password[:_SCORED_LENGTH]
    result = zxcvbn(scored, user_inputs=[v for v in (username, full_name, *unit_names) if v])
    if _is_listed(result, scored):
        return [COMMON_MESSAGE]
    if result["score"] < MIN_SCORE:
        return [WEAK_MESSAGE]
    return []
