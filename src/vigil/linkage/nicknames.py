"""Common English given-name nicknames and their formal forms, for name comparison."""

from typing import Final

# Each formal name followed by the short forms people use for it. A nickname
# that belongs to several formal names (e.g. "al") maps to the first listed.
_GROUPS: Final[tuple[tuple[str, ...], ...]] = (
    ("abigail", "abby", "gail"),
    ("albert", "al", "bert", "bertie"),
    ("alexander", "alex", "alec", "sandy", "xander", "sasha"),
    ("alexandra", "alexa", "lexi", "sandra"),
    ("alfred", "alf", "alfie", "fred"),
    ("andrew", "andy", "drew"),
    ("anthony", "tony", "ant"),
    ("barbara", "barb", "babs"),
    ("benjamin", "ben", "benny", "benji"),
    ("catherine", "cathy", "kate", "katie", "cat", "kathryn", "katherine", "kathy"),
    ("charles", "charlie", "chuck", "chas"),
    ("christine", "chris", "christina", "tina", "chrissy"),
    ("christopher", "kit", "topher"),
    ("daniel", "dan", "danny"),
    ("david", "dave", "davey"),
    ("deborah", "debbie", "deb", "debra"),
    ("donald", "don", "donny"),
    ("dorothy", "dot", "dottie"),
    ("edward", "ed", "eddie", "ted", "teddy", "ned"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby", "bess", "betsy"),
    ("emily", "em", "emmy"),
    ("frances", "fran", "frankie"),
    ("francis", "frank"),
    ("frederick", "freddie", "freddy"),
    ("gerald", "gerry", "jerry"),
    ("gregory", "greg"),
    ("harold", "harry", "hal"),
    ("henry", "hank"),
    ("isabella", "bella", "izzy", "isabelle", "isabel"),
    ("jacob", "jake"),
    ("james", "jim", "jimmy", "jamie"),
    ("jennifer", "jen", "jenny"),
    ("john", "johnny", "jack", "jon"),
    ("jonathan", "jonny"),
    ("joseph", "joe", "joey"),
    ("joshua", "josh"),
    ("kenneth", "ken", "kenny"),
    ("lawrence", "larry", "laurie"),
    ("leonard", "leo", "len", "lenny"),
    ("margaret", "maggie", "meg", "peggy", "marge", "madge", "daisy"),
    ("matthew", "matt"),
    ("michael", "mike", "mick", "mickey", "mikey"),
    ("muhammad", "mohammed", "mohammad", "mohamed", "muhammed", "mohamad"),
    ("nicholas", "nick", "nicky", "nico"),
    ("patricia", "pat", "patty", "trish", "tricia"),
    ("patrick", "paddy"),
    ("peter", "pete"),
    ("rebecca", "becky", "becca"),
    ("richard", "rick", "ricky", "dick", "rich", "richie"),
    ("robert", "rob", "bob", "bobby", "robbie", "bert"),
    ("ronald", "ron", "ronnie"),
    ("samuel", "sam", "sammy"),
    ("stephen", "steve", "steven", "stevie"),
    ("susan", "sue", "susie", "suzanne"),
    ("theodore", "theo"),
    ("thomas", "tom", "tommy"),
    ("timothy", "tim", "timmy"),
    ("victoria", "vicky", "vic", "tori"),
    ("william", "will", "bill", "billy", "willy", "liam"),
    ("yusuf", "youssef", "yousef", "joseph"),
)


def _build() -> dict[str, str]:
    table: dict[str, str] = {}
    for formal, *short in _GROUPS:
        table.setdefault(formal, formal)
        for name in short:
            table.setdefault(name, formal)
    return table


NICKNAMES: Final[dict[str, str]] = _build()


def formal_name(name: str) -> str:
    """The formal form of a (normalised) given name, or the name itself."""
    return NICKNAMES.get(name, name)
