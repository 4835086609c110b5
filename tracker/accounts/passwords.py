"""argon2id password hashing and the password policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile (t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()

MIN_LENGTH = 8
MAX_LENGTH = 128

# Passwords that appear at the top of every leaked list, including the common Chinese ones.
COMMON = frozenset("""
123456 1234567 12345678 123456789 1234567890 12345678910 password password1 password123
passw0rd qwerty qwerty123 qwertyuiop abc123 abc12345 abcd1234 111111 11111111 000000
00000000 88888888 66666666 666666 888888 123123 123123123 112233 654321 987654321 1qaz2wsx
1q2w3e4r 1q2w3e4r5t qazwsx123 zxcvbnm zxcvbnm123 iloveyou woaini woaini1314 woaini520
5201314 a123456 a1234567 a12345678 aa123456 admin admin123 admin888 administrator root
root123 letmein welcome welcome1 changeme test1234 test123456 p@ssw0rd p@ssword
sunshine monkey dragon football baseball superman trustno1 master shadow michael
147258369 159357 741852963 asdfghjkl asdf1234 zaq12wsx qweasdzxc 12qwaszx 1234qwer
qwer1234 abcdefg abcdefgh aaaaaaaa 11223344 147258 a1b2c3d4 huawei123 china123
beijing123 gongwen123 zhengfu123 renda123 zhengxie123
""".split())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, bool]:
    """Return (matches, needs_rehash)."""
    try:
        _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, False
    return True, _hasher.check_needs_rehash(stored_hash)


def policy_problems(password: str, username: str = "") -> list[str]:
    """Chinese messages for every way the password breaks the policy (empty when fine)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 个字符。")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码最多 {MAX_LENGTH} 个字符。")
    if password.lower() in COMMON:
        problems.append("该密码过于常见，容易被猜中，请换一个。")
    if username and password.lower() == username.lower():
        problems.append("密码不能与用户名相同。")
    return problems
