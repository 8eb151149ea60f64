"""Word lists of the urgency triage: rule patterns and the protected terms they must never use.

Every pattern is a regular expression compiled case-insensitively. Patterns are
kept simple on purpose: each starts at a word boundary, has no nested
repetition and no unbounded gap, so matching stays linear in the length of the
narrative (a 100,000-character narrative must not stall the tip line).

Rules see the narrative only after `PROTECTED_TERMS` have been replaced by the
neutral word `NEUTRAL_WORD` ("himself" and "herself" by `NEUTRAL_REFLEXIVE`;
see `vigil.reports.triage`). No pattern here may name a protected term:
`vigil.reports.triage.protected_terms_in_rules` checks it and a test keeps it
so. Where a pattern needs "him" or "her" (as in "kill him") it uses
`NEUTRAL_WORD`, which stands for every protected term alike.
"""

from __future__ import annotations

from collections.abc import Mapping

NEUTRAL_WORD = "somebody"
# Reflexive pronouns keep a word of their own, so that "kill himself" and
# "kill herself" both still read as self-harm, not as a threat to somebody.
NEUTRAL_REFLEXIVE = "oneself"
REFLEXIVE_TERMS = frozenset({"himself", "herself"})

# Terms about religion, ethnicity, nationality, sex and political party. A
# narrative's score must not change when one of these is swapped for another,
# so all of them read as the same neutral word before any rule runs. Single
# words only (plus "Green Party", whose parts are not terms), so that swapping
# a term never changes how many neutral words the rules see.
#
# Sex terms include boy/girl and son/daughter: they therefore cannot count as
# evidence that a minor is involved. The minor rule uses sex-neutral words
# (kid, child, teen, student, "15-year-old" ...), so swapping boy↔girl or
# he↔she never changes whether it fires.
# fmt: off
PROTECTED_TERMS: Mapping[str, tuple[str, ...]] = {
    "religion": (
        "Muslim", "Muslims", "Islam", "Islamic", "Christian", "Christians",
        "Christianity", "Catholic", "Catholics", "Protestant", "Protestants",
        "Evangelical", "Evangelicals", "Mormon", "Mormons", "Jewish", "Jew", "Jews",
        "Judaism", "Hindu", "Hindus", "Hinduism", "Sikh", "Sikhs", "Buddhist",
        "Buddhists", "Buddhism", "atheist", "atheists", "agnostic", "agnostics",
    ),
    "ethnicity": (
        "Black", "Blacks", "white", "whites", "Hispanic", "Hispanics", "Latino",
        "Latinos", "Latina", "Latinas", "Latinx", "Asian", "Asians", "Arab",
        "Arabs", "African", "Africans", "Caucasian", "Caucasians", "Indigenous",
        "Native",
    ),
    "nationality": (
        "Mexican", "Mexicans", "Syrian", "Syrians", "Russian", "Russians",
        "American", "Americans", "Chinese", "Somali", "Somalis", "Iranian",
        "Iranians", "Iraqi", "Iraqis", "Afghan", "Afghans", "Pakistani",
        "Pakistanis", "Indian", "Indians", "Ukrainian", "Ukrainians", "Israeli",
        "Israelis", "Palestinian", "Palestinians", "Korean", "Koreans",
        "Vietnamese", "Filipino", "Filipinos", "Haitian", "Haitians", "Cuban",
        "Cubans", "Venezuelan", "Venezuelans", "Canadian", "Canadians",
        "immigrant", "immigrants",
    ),
    "sex": (
        "man", "men", "woman", "women", "he", "she", "him", "her", "his", "hers",
        "himself", "herself", "boy", "boys", "girl", "girls", "male", "males",
        "female", "females", "father", "mother", "fathers", "mothers", "dad",
        "mom", "mum", "dads", "moms", "son", "daughter", "sons", "daughters",
        "brother", "sister", "brothers", "sisters", "husband", "wife", "husbands",
        "wives", "boyfriend", "girlfriend", "guy", "guys", "gal", "gals", "lady",
        "ladies", "gentleman", "gentlemen", "mr", "mrs", "ms", "sir", "madam",
        "uncle", "aunt", "nephew", "niece", "grandfather", "grandmother",
    ),
    "political_party": (
        "Democrat", "Democrats", "Democratic", "Republican", "Republicans", "GOP",
        "Libertarian", "Libertarians", "Green Party", "Greens", "MAGA", "liberal",
        "liberals", "conservative", "conservatives", "progressive", "progressives",
        "leftist", "leftists", "socialist", "socialists", "communist", "communists",
    ),
}
# fmt: on

_S = NEUTRAL_WORD
_STRONG_VERBS = (
    r"(?:kill|shoot|stab|murder|slaughter|massacre|bomb|blow up|gun down|execute|"
    r"behead|strangle|burn down|run over|slit)"
)
_WEAK_VERBS = r"(?:hurt|harm|attack|beat up)"
_OBJECTS = (
    rf"(?:you|{_S}|someone|them|people|every(?:one|body)|y'all|all of (?:you|them|us)|"
    r"the \w+|a \w+|my \w+|our \w+|as many)"
)
# "will finally kill", but not "will never kill" nor "will not kill".
# Self-harm ("kill myself") is not a threat to others: a person reads it.
_NOT_SELF = r"(?!\s+(?:myself|yourself|ourselves|themselves|oneself)\b)"
_ADVERB = r"(?:(?!not\b|never\b|no\b)\w+\s+)?"
_MODALS = (
    r"(?:will|would|shall|gonna|going to|fixing to|about to|plan(?:s|ning)? to|"
    r"intend(?:s|ing)? to|want(?:s|ed)? to|wanna|ready to|threaten(?:s|ed|ing)? to|"
    r"vow(?:s|ed)? to|swore to|promise[sd]? to)"
)
_THREAT_ACT = rf"\s+{_ADVERB}(?:{_STRONG_VERBS}\b{_NOT_SELF}|{_WEAK_VERBS}\s+{_OBJECTS}\b)"

EXPLICIT_THREAT = (
    rf"\b{_MODALS}{_THREAT_ACT}",
    rf"'ll{_THREAT_ACT}",
    r"\bshoot(?:ing)? (?:up|the place up|this place up|it up)\b",
    rf"\b(?:kill|shoot|stab|murder|gun down|blow up) (?:you|{_S}|them|every(?:one|body)|"
    r"them all|you all|y'all|all of (?:you|them|us)|as many|people|the whole \w+)\b",
    r"\b(?:you'?ll|you will|you(?:'re| are) (?:going to|gonna)|every(?:one|body) "
    r"(?:will|is going to|is gonna)|y'all (?:will|gonna)|all of you (?:will|are going to)) "
    r"(?:all )?die\b",
    r"\b(?:death threats?|bomb threats?|hit list|kill list)\b",
    r"\b(?:will|going to|gonna) be (?:a|another) (?:school |mass )?"
    r"(?:shooting|massacre|bloodbath)\b",
)

# Guns that are not weapons; the look-behinds run only after "gun" matched.
_NOT_WEAPON_GUN = "".join(
    rf"(?<!{kind} gun)(?<!{kind} guns)"
    for kind in ("nerf", "toy", "water", "squirt", "glue", "nail", "bb", "paintball", "airsoft")
)
WEAPONS = (
    rf"\bguns?\b{_NOT_WEAPON_GUN}",
    r"\b(?:handguns?|shotguns?|firearms?|rifles?|pistols?|revolvers?|glocks?|ar-?15s?|"
    r"ak-?47s?|ghost guns?|assault weapons?|uzis?)\b",
    r"\b(?:ammo|ammunition|bullets?|9 ?mm|caliber|(?:high[- ]capacity|extended|loaded) "
    r"(?:magazines?|mags?)|silencers?|suppressors?)\b",
    r"\b(?:(?:a|the|pipe|homemade|home-made|car|nail) bombs?|bombs|explosives?|ieds?|"
    r"grenades?|molotovs?|detonators?)\b",
    r"\b(?:knife|knives|machetes?|crossbows?|hatchets?)\b",
)

# Where or whom: a school, a workplace, a house of worship, a public place or
# a named role. All houses of worship sit in one alternation so that no one
# faith's building weighs more than another's.
PLACE_OR_TARGET = (
    r"\b(?:schools?|campus|classrooms?|cafeteria|auditorium|gymnasium|hallways?|"
    r"locker rooms?|pep rally|graduation|prom|homecoming)\b",
    r"\b(?:workplace|office|warehouse|factory|job site|worksite|headquarters|"
    r"(?:at|to) work)\b",
    r"\b(?:church(?:es)?|mosques?|synagogues?|temples?|gurdwaras?|cathedrals?|chapels?|"
    r"houses? of worship)\b",
    r"\b(?:mall|concert|festival|parade|rally|stadium|arena|theat(?:er|re)|nightclub|"
    r"grocery store|supermarket|city hall|courthouse|capitol|hospital|clinic|"
    r"polling place|daycare|library|community cent(?:er|re)|youth cent(?:er|re))\b",
    r"\b(?:principal|teachers?|coach|boss|supervisor|ex-\w+|judge|mayor|"
    r"governor|senator|congress\w*|lawmakers?|politicians?|government|federal building|"
    r"police station)\b",
)

# "Lincoln High": only capitals tell a school's name from "very high".
PLACE_OR_TARGET_CASED = (r"\b[A-Z][a-z]+ (?:High|Middle|Elementary|Academy)\b",)

_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
TIME_SOON = (
    r"\b(?:today|tonight|tomorrow|tmrw|tmr|this (?:morning|afternoon|evening|weekend|week)|"
    rf"(?:this|next|coming|by) {_WEEKDAY}|right now|in an hour|"
    r"(?:in|within) (?:a few|a couple(?: of)?|two|three|[0-9]{1,2}) (?:hours?|days?|minutes?))\b",
)
TIME_STATED = (
    r"\bat (?:[0-9]{1,2}(?::[0-9]{2})?(?:\s?(?:am|pm|a\.m\.?|p\.m\.?|o'clock))?|noon|midnight)"
    r"(?!\w)",
    r"\b[0-9]{1,2}:[0-9]{2}\b",
    rf"\bon {_WEEKDAY}\b",
    rf"\b{_WEEKDAY} (?:morning|afternoon|evening|night)\b",
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.? [0-9]{1,2}(?:st|nd|rd|th)?\b",
    r"\b[0-9]{1,2}/[0-9]{1,2}(?:/[0-9]{2,4})?\b",
    r"\bnext (?:week|month|year|semester)\b",
    r"\b(?:during|at) (?:lunch|recess|the assembly|graduation|prom|homecoming|the game|"
    r"the pep rally|first period|second period|the parade|the concert|the service|"
    r"services|mass|prayers?)\b",
    r"\b(?:anniversary|last day of (?:school|class)|graduation day)\b",
)

# Words that make a communication verb or a purchase about violence.
VIOLENCE_CONTEXT = (
    r"\b(?:kill\w*|shoot\w*|shot|stab\w*|murder\w*|massacre\w*|slaughter\w*|bomb\w*|"
    r"blow (?:it |them |everything )?up|burn(?:ed|ing|s)? (?:it |them )?down|attack\w*|hurt|"
    r"harm|die|dead|death|bloodbath|"
    r"columbine|execute)\b",
    *WEAPONS,
)

LEAKAGE = (
    r"\bmanifesto\b",
    r"\b(?:don'?t|do not|shouldn'?t|should not|better not) (?:come|go) (?:to )?"
    r"(?:school|work|class|church|the \w+)\b",
    r"\bstay (?:home|away)(?: from (?:school|work|class))? (?:tomorrow|today|tonight|"
    rf"on {_WEEKDAY}|this {_WEEKDAY}|next {_WEEKDAY})\b",
    r"\b(?:warned|told|telling) (?:\w+ )?(?:to stay away|not to come|to stay home)\b",
    r"\bsomething big (?:is going to|is gonna|will) happen\b",
)
LEAKAGE_GATED = (
    r"\b(?:told|tells|telling|said|says|saying|warned|warns|warning|bragged|brags|bragging|"
    r"boasted|boasting|posted|posts|posting|texted|texting|messaged|dm'?d|tweeted|wrote|"
    r"writes|announced|shared|joked|joking|mentioned|commented)\b",
    r"\b(?:snapchat|instagram|tiktok|discord|facebook|twitter|reddit|youtube|telegram|"
    r"whatsapp|group chat|social media|livestream|live stream|chat room|forum)\b",
)

GRIEVANCE = (
    r"\b(?:grievances?|grudges?|revenge|vengeance|avenge|retaliat\w*|vendetta)\b",
    r"\b(?:get|getting|got) back at\b",
    r"\bpay for (?:what|this|that|it)\b",
    r"\bmake (?:\w+ )?pay\b",
    r"\b(?:will|'ll|gonna|going to) (?:all )?(?:pay|regret it|be sorry)\b",
    r"\b(?:wronged|humiliated|unfair(?:ly)?|mistreated|bullied|bullying|picked on|"
    r"disrespected|persecuted|blames?|blamed|sick of|fed up)\b",
    r"\b(?:got|was|were|been|being|get|gets) (?:fired|laid off|terminated|expelled|"
    r"suspended|kicked out|dumped)\b",
    r"\b(?:fired|expelled|suspended|kicked out|terminated) from\b",
    r"\bhates? (?:everyone|everybody|them|the \w+|this \w+|all)\b",
)

RESEARCH_PLANNING = (
    r"\b(?:floor ?plans?|blueprints?|layout of (?:the )?\w+|maps? of (?:the )?\w+|"
    r"bell schedule|security schedule|guard schedule)\b",
    r"\btarget list\b",
    r"\blist of (?:targets|names|people|teachers|students)\b",
    r"\b(?:columbine|parkland|sandy hook|uvalde|virginia tech|christchurch|"
    r"mass shooters?|previous (?:shootings|attacks)|other shooters|body count)\b",
    r"\bhow to (?:make|build|buy|get) (?:a |an )?(?:bomb|pipe bomb|explosives?|silencer|"
    r"suppressor|ghost gun|guns?)\b",
    r"\b(?:casing|scouting|surveill\w*)\b",
    r"\b(?:photograph(?:ed|ing|s of)?|(?:photos|pictures|videos?) of|filming|filmed) (?:the )?"
    r"(?:entrances|exits|doors|security|cameras|guards)\b",
    r"\basking (?:about|questions about) (?:security|the guards|cameras|exits|entrances)\b",
    r"\battack plans?\b",
)
RESEARCH_PLANNING_GATED = (
    r"\b(?:research(?:ed|ing)?|looked up|looking up|look up|googl(?:ed|ing)|"
    r"search(?:ed|ing) (?:for|up|online)|studied|studying|reading about|read about|"
    r"watch(?:ed|es|ing) videos?|obsessed with|fascinated (?:by|with)|planned|planning|"
    r"plotting|plotted|mapped out)\b",
)

PREPARATION = (
    r"\b(?:body armou?r|bulletproof vests?|tactical (?:vest|gear|gloves)|plate carriers?|"
    r"stockpil\w*|gunpowder|smokeless powder|bomb-making)\b",
    r"\b(?:goodbye|farewell|suicide) (?:letters?|notes?|videos?|messages?|posts?)\b",
    r"\bfinal (?:message|post|video)\b",
    r"\b(?:giving|gave) away (?:\w+ )?(?:belongings|possessions|things|stuff)\b",
)
PREPARATION_GATED = (
    r"\b(?:bought|buys|buying|purchased|purchasing|ordered|ordering|acquired|obtained|"
    r"stole|stolen|borrowed|saving up for|trying to (?:buy|get)|tried to (?:buy|get)|"
    r"picked up|building|built|assembled|assembling|loaded|loading|hiding|hid|hidden|"
    r"stashed|bring|brings|brought|bringing|carry|carries|carrying|carried|packed|packing)\b",
)

REHEARSAL = (
    r"\b(?:shooting range|gun range|firing range|target practice|dry runs?|trial runs?|"
    r"practice runs?|rehears\w*|walk-?through)\b",
    r"\bwalked (?:through|around) (?:the )?(?:school|building|halls|hallways|campus)\b",
    r"\btimed (?:how long|the (?:police|response|guards))\b",
    r"\btest(?:ed|ing) (?:the )?(?:security|doors|locks|response|alarms?|guards|"
    r"metal detectors?)\b",
    r"\btried (?:to get|getting) past security\b",
    r"\b(?:role[- ]?play\w*|simulat\w*|act(?:ed|ing) out) (?:a |the )?(?:shooting|attack)\b",
)
REHEARSAL_GATED = (
    r"\b(?:practic(?:e|es|ed|ing)|training with|trains with|shooting at targets|"
    r"firing at targets)\b",
)

# Sex-neutral words only (see PROTECTED_TERMS): swapping boy↔girl must not
# decide whether a minor is involved.
MINOR = (
    r"\b(?:kids?|child|children|juveniles?|teens?|teenagers?|students?|classmates?|"
    r"pupils?|underage|minors|middle schooler|high schooler|freshman|sophomore)\b",
    r"\b(?:is|was|are|were) (?:a )?minors?\b",
    r"\b[0-9]{1,2}(?:st|nd|rd|th)[- ]graders?\b",
    r"\b(?:[1-9]|1[0-7])[- ]years?[- ]olds?\b",
    r"\b(?:[1-9]|1[0-7]) years? old\b",
    r"\b(?:age|aged) (?:[1-9]|1[0-7])\b",
    r"\b(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)[- ]years?[- ]olds?\b",
)

# Clause-level negation looked for in the three words before a match.
# fmt: off
NEGATIONS = frozenset({
    "not", "no", "never", "without", "nobody", "none", "neither", "nor", "cannot",
    "deny", "denies", "denied",
})
# fmt: on
