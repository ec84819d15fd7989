"""The hand-written word tables behind `bot.finglish`: Persian words, verb stems, endings
and clitics in Latin spelling, and the English words that tell English from Finglish.

Any edit here can change what `transliterate` or `looks_finglish` answers, so it also
bumps `bot.finglish.RULES_VERSION` (saved models trained on the old tables then retrain).
"""

from __future__ import annotations

__all__ = [
    "AFTER_DROPPED_E",
    "AFTER_SILENT_H",
    "CLITICS_AFTER_CONSONANT",
    "CLITICS_AFTER_VOWEL",
    "ENDINGS_AFTER_CONSONANT",
    "ENDINGS_AFTER_VOWEL",
    "ENGLISH_WORDS",
    "PREFIXES",
    "STEMS",
    "WORDS",
]

# fmt: off
# (The tables below keep several entries a line; one a line would run to 500 lines.)
# Frequent chat and customer-support words, written by hand (never taken from a corpus).
# Keys are folded by `bot.finglish` on import, so one spelling per word is enough; values
# are in `normalize`'s canonical form (no ZWNJ, آ written ا).
WORDS: dict[str, str] = {
    # greetings and politeness
    "salam": "سلام", "slm": "سلام", "merci": "مرسی", "mersi": "مرسی", "mamnoon": "ممنون",
    "tashakor": "تشکر", "sepas": "سپاس", "lotfan": "لطفا", "lotfa": "لطفا",
    "khahesh": "خواهش", "khodahafez": "خداحافظ", "khodafez": "خدافظ", "babat": "بابت",
    "bebakhshid": "ببخشید", "bebakhshin": "ببخشین", "movafagh": "موفق", "aziz": "عزیز",
    "jan": "جان", "joon": "جون",
    # yes, no and fillers
    "bale": "بله", "are": "اره", "na": "نه", "nakheir": "نخیر", "nakhair": "نخیر",
    "khob": "خب", "khoob": "خوب", "ok": "اوکی", "oke": "اوکی", "okey": "اوکی",
    "bashe": "باشه", "hatman": "حتما", "albatte": "البته", "dorost": "درست",
    "khaste": "خسته", "vaghean": "واقعا", "vaghan": "واقعا",
    # pronouns and determiners
    "man": "من", "to": "تو", "too": "تو", "oo": "او", "oon": "اون", "ma": "ما",
    "shoma": "شما", "ina": "اینا", "in": "این", "an": "ان", "inja": "اینجا",
    "oonja": "اونجا", "ham": "هم", "hame": "همه", "hamash": "همش", "hamin": "همین",
    "hamoon": "همون", "khod": "خود", "chiz": "چیز", "har": "هر",
    # question words
    "chi": "چی", "che": "چه", "chera": "چرا", "chetor": "چطور", "chetori": "چطوری",
    "chejoori": "چجوری", "chand": "چند", "chande": "چنده", "koja": "کجا", "kojast": "کجاست",
    "kojas": "کجاس", "kei": "کی", "ki": "کی", "kodom": "کدوم", "chie": "چیه",
    # prepositions, conjunctions, adverbs
    "az": "از", "ba": "با", "be": "به", "baraye": "برای", "bara": "برا", "barai": "برای",
    "dar": "در", "ro": "رو", "ra": "را", "va": "و", "o": "و", "ya": "یا", "ke": "که",
    "agar": "اگر", "age": "اگه", "vali": "ولی", "chon": "چون", "ta": "تا", "bad": "بعد",
    "badan": "بعدا", "ghabl": "قبل", "ghablan": "قبلا", "alan": "الان", "emrooz": "امروز",
    "hafte": "هفته", "mah": "ماه", "sal": "سال", "rooz": "روز", "saat": "ساعت",
    "daghighe": "دقیقه", "shab": "شب", "sob": "صبح", "sobh": "صبح", "zohr": "ظهر",
    "asr": "عصر", "vaghti": "وقتی", "hala": "حالا", "faghat": "فقط", "kheili": "خیلی",
    "ziad": "زیاد", "kam": "کم", "hich": "هیچ", "dige": "دیگه", "dobare": "دوباره",
    "yani": "یعنی", "mesle": "مثل", "mese": "مثل", "pas": "پس", "avval": "اول",
    "akhar": "اخر", "vase": "واسه", "bedoon": "بدون", "bedune": "بدون", "shayad": "شاید",
    "bayad": "باید", "chonke": "چونکه", "ha": "ها", "haye": "های",
    # numbers and money
    "ye": "یه", "yek": "یک", "do": "دو", "chaar": "چهار", "shish": "شش", "sad": "صد",
    "toman": "تومان", "tooman": "تومن", "tomen": "تومن",
    # customer support
    "poshtibani": "پشتیبانی", "sefaresh": "سفارش", "kala": "کالا", "marjoo": "مرجوع",
    "pardakht": "پرداخت", "pool": "پول", "hesab": "حساب", "kart": "کارت",
    "shomare": "شماره", "telephone": "تلفن", "tel": "تلفن", "tamas": "تماس",
    "mobile": "موبایل", "mobail": "موبایل", "gooshi": "گوشی", "payam": "پیام",
    "ticket": "تیکت", "email": "ایمیل", "imel": "ایمیل", "chat": "چت", "online": "انلاین",
    "site": "سایت", "sait": "سایت", "app": "اپ", "barname": "برنامه", "sabt": "ثبت",
    "ersal": "ارسال", "tahvil": "تحویل", "mahsool": "محصول", "gheymat": "قیمت",
    "takhfif": "تخفیف", "code": "کد", "kod": "کد", "peygiri": "پیگیری", "moshkel": "مشکل",
    "khata": "خطا", "kharab": "خراب", "sabad": "سبد", "foroosh": "فروش",
    "forooshande": "فروشنده", "foroshande": "فروشنده", "garanti": "گارانتی",
    "zemanat": "ضمانت", "laghv": "لغو", "cancel": "کنسل", "operator": "اپراتور",
    "oprator": "اپراتور", "adam": "ادم", "ensan": "انسان", "robot": "ربات", "bot": "ربات",
    "karshenas": "کارشناس", "vaziat": "وضعیت", "vaziyat": "وضعیت", "zaman": "زمان",
    "fori": "فوری", "jet": "جت", "digikala": "دیجیکالا", "address": "ادرس", "shahr": "شهر",
    "tehran": "تهران", "iran": "ایران", "esfahan": "اصفهان", "faktor": "فاکتور",
    "factor": "فاکتور", "ghest": "قسط", "etebar": "اعتبار", "bank": "بانک",
    "darkhast": "درخواست", "shekayat": "شکایت", "soal": "سوال", "javab": "جواب",
    "komak": "کمک", "etelaat": "اطلاعات", "hazine": "هزینه", "rayegan": "رایگان",
    "mojood": "موجود", "tamam": "تمام", "tamoom": "تموم", "vared": "وارد",
    "bastebandi": "بستهبندی", "baste": "بسته", "ghabz": "قبض",
    # copula forms that the verb rules would not find
    "hast": "هست", "nist": "نیست",
}

# Present and past verb stems (folded like the lexicon). `bot.finglish` adds the prefixes
# (mi-, nemi-, be-, na-) and personal endings; a stem shorter than three letters, such as
# the colloquial d of mi-d-am "I give", is only recognised after a prefix.
STEMS: dict[str, str] = {
    "kha": "خوا", "khah": "خواه", "khab": "خواب", "khabid": "خوابید", "khast": "خواست",
    "kon": "کن", "kard": "کرد", "dar": "دار", "dasht": "داشت", "sh": "ش", "sho": "شو",
    "shav": "شو", "shod": "شد", "bash": "باش", "bood": "بود", "toon": "تون",
    "tavan": "توان", "doon": "دون", "dan": "دان", "d": "د", "dah": "ده", "dad": "داد",
    "g": "گ", "go": "گو", "goo": "گو", "goft": "گفت", "r": "ر", "rav": "رو", "raft": "رفت",
    "a": "ا", "ya": "یا", "oomad": "اومد", "amad": "امد", "res": "رس", "resid": "رسید",
    "gir": "گیر", "gereft": "گرفت", "bin": "بین", "did": "دید", "zan": "زن", "zad": "زد",
    "ferest": "فرست", "frest": "فرست", "ferestad": "فرستاد", "fahm": "فهم",
    "fahmid": "فهمید", "khor": "خور", "khord": "خورد", "pors": "پرس", "porsid": "پرسید",
    "moon": "مون", "mand": "ماند", "zar": "ذار", "gozasht": "گذاشت", "kesh": "کش",
    "keshid": "کشید", "khoon": "خون", "khoond": "خوند", "gard": "گرد", "gasht": "گشت",
    "tars": "ترس", "shenas": "شناس", "bakhsh": "بخش", "bakhshid": "بخشید",
}

# Verb prefixes: imperfective mi-, negation, subjunctive and imperative be- (bo- before o).
PREFIXES = (("nemi", "نمی"), ("mi", "می"), ("be", "ب"), ("bo", "ب"), ("na", "ن"),
            ("ne", "ن"), ("", ""))
# Personal endings, after a stem ending in a consonant (kon-am) or a vowel (kha-m).
ENDINGS_AFTER_CONSONANT = {
    "": "", "am": "م", "i": "ی", "e": "ه", "ad": "د", "im": "یم", "id": "ید", "in": "ین",
    "an": "ن", "and": "ند", "esh": "ش", "et": "ت", "eshun": "شون",
}
ENDINGS_AFTER_VOWEL = {
    "": "", "m": "م", "i": "ی", "d": "د", "im": "یم", "id": "ید", "in": "ین", "n": "ن",
    "nd": "ند", "e": "ه", "sh": "ش",
}
# Noun clitics: plural, possessive, object marker, "is", comparative; chained by
# `bot.finglish` (sefaresh-am-o). After a vowel they lose their own vowel (kala-m).
CLITICS_AFTER_CONSONANT = {
    "ha": "ها", "haye": "های", "hai": "های", "am": "م", "at": "ت", "et": "ت", "ash": "ش",
    "esh": "ش", "emun": "مون", "etun": "تون", "eshun": "شون", "o": "و", "ro": "رو",
    "ra": "را", "i": "ی", "e": "ه", "tar": "تر", "tarin": "ترین", "ast": "ست",
}
CLITICS_AFTER_VOWEL = {
    "ha": "ها", "haye": "های", "hai": "های", "m": "م", "t": "ت", "sh": "ش", "mun": "مون",
    "tun": "تون", "shun": "شون", "ro": "رو", "ra": "را", "i": "یی", "ie": "یه",
    "st": "ست", "s": "س", "tar": "تر",
}
# After the silent ه of shomare (شماره) the clitics are written with alef: شمارهام.
# An ezafe -ye after it is not written at all (shomare-ye telephone → شماره تلفن).
AFTER_SILENT_H = {"m": "ام", "t": "ات", "sh": "اش", "i": "ای", "ie": ""}
AFTER_DROPPED_E = {"م": "ا", "ت": "ا", "ش": "ا", "و": "ر"}

# fmt: on

# Common English words, mostly function words and support vocabulary. Words that are also
# Persian (man, to, in, be, bad, do, ...) or loanwords in both (chat, email, ok) are in
# `WORDS` too, and so count for neither side.
_ENGLISH_TEXT = """
a about after again all already also am and another any anyone anything are as ask at
available back be because been before being below both but buy by call can cannot cant
card change charged check color come contact could customer day delivered delivery did
didn do does doesn doing don done down each else even ever every everything fine for
found from get give go going good got great had has hasn have haven having he hello help
her here hey hi him his hours how i if im in into is isn it its just know last late
later let like long look looking made make many may me message money more morning most
much must my need never new next no nobody not nothing now number of off on one only
open or order other our out over paid password pay payment people phone please problem
product received refund reply return right said same say see sell send sent service
she should since size so some someone something sorry speak still support sure take
talk tell than thank thanks that the their them then there these they thing think this
those through time to today told too track tracking two up us use very wait want was
way we week well were what when where which while who why will with without wont work
working would wrong yes yet you your
address app bank bot cancel chat code email factor mobile ok okey online operator post
robot site telephone ticket
"""
ENGLISH_WORDS = frozenset(_ENGLISH_TEXT.split())
