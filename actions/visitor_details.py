"""Reads the details visitors type during booking and hand-off.

Pure functions, no Rasa: each takes the visitor's words and returns the
normalised value, or None when the words do not contain one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_PHONE_REGION = "US"
_EMAIL_CANDIDATE = re.compile(r"[^\s<>(),;:]+@[^\s<>(),;:]+\.[A-Za-z]{2,}")
_QUESTION_START = re.compile(
    r"^\s*(what|whats|what's|how|hows|does|do|did|is|isnt|are|can|could|will|would|should|when|where"
    r"|why|who|which|may|am)\b",
    re.IGNORECASE,
)
_NAME_LEAD_IN = re.compile(
    r"^\s*(?:(?:actually|sorry|oh|ok|okay|um|hi|hello)[\s,]+)*"
    r"(?:(?:my\s+)?(?:full\s+)?name(?:'s|\s+is)?|i'?m|i\s+am|it'?s|its|this\s+is|call\s+me|name)\s*[:,-]?\s*",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*\.?$", re.UNICODE)
# Words that show an answer is a sentence, not a name ("i want to book").
_NOT_NAME_WORDS = frozenset(
    "a an and the to want wanna need book booking appointment consultation please yes no not dont don't "
    "what how is are can you me my i it this that hello hi hey thanks thank know sure ok okay help laser "
    "clinic stop cancel about question".split()
)
_YES = re.compile(
    r"^\s*(y|ya|yah|yes|yeah|yep|yup|sure|ok|okay|correct|right|that'?s right|that'?s correct|absolutely"
    r"|definitely|of course|please do|go ahead|sounds good|confirm(ed)?|i agree|agreed|fine)\b",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\s*(n|no|nope|nah|not really|no thanks|no thank you|don'?t|do not|negative|wrong|that'?s wrong"
    r"|incorrect|i don'?t agree)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ContactDetail:
    """A phone number (E.164) or an email address a visitor gave."""

    kind: str  # "phone" or "email"
    value: str

    @property
    def readable(self) -> str:
        if self.kind == "email":
            return self.value
        number = phonenumbers.parse(self.value)
        if number.country_code == 1:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def find_phone(text: str, region: str = DEFAULT_PHONE_REGION) -> Optional[str]:
    """The first valid phone number in `text`, as E.164 (+16305550142)."""
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def looks_like_phone_attempt(text: str) -> bool:
    """Whether the visitor seems to have typed a phone number (valid or not)."""
    return len(re.findall(r"\d", text)) >= 5


def find_email(text: str) -> Optional[str]:
    """The first syntactically valid email address in `text`, normalised."""
    for candidate in _EMAIL_CANDIDATE.findall(text):
        try:
            return validate_email(candidate.strip("."), check_deliverability=False).normalized
        except EmailNotValidError:
            continue
    return None


def find_contact(text: str) -> Optional[ContactDetail]:
    """A phone number or email address from the visitor's words."""
    email = find_email(text)
    if email:
        return ContactDetail("email", email)
    phone = find_phone(text)
    return ContactDetail("phone", phone) if phone else None


def find_name(text: str) -> Optional[str]:
    """A person's name from 'Maria Gonzalez', "it's john", 'my name is Priya Patel'."""
    candidate = _NAME_LEAD_IN.sub("", text.strip(), count=1).strip(" .!,")
    words = candidate.split()
    if not 1 <= len(words) <= 5 or len(candidate) > 60:
        return None
    if not all(_NAME_WORD.match(word) for word in words):
        return None
    if any(word.lower() in _NOT_NAME_WORDS for word in words):
        return None
    return " ".join(word if any(c.isupper() for c in word) else word.title() for word in words)


def looks_like_question(text: str) -> bool:
    """Whether the visitor is asking something rather than answering."""
    stripped = text.strip()
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped))


def yes_or_no(text: str) -> Optional[bool]:
    """True for a clear yes, False for a clear no, None otherwise."""
    if _NO.match(text):
        return False
    if _YES.match(text):
        return True
    return None


def clean_free_text(text: str, max_characters: int = 300) -> Optional[str]:
    """A short free-text answer ('tuesday afternoons'), trimmed; None if empty."""
    cleaned = " ".join(text.split())
    if not cleaned or not any(char.isalnum() for char in cleaned):
        return None
    return cleaned[:max_characters]
