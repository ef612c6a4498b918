"""Lexicons of the AI-training clause detector: (id, regular expression) pairs.

Patterns are matched case-insensitively against a normalised clause (lowercase, curly quotes
straightened, dashes as "-", whitespace collapsed). Ids are stable: they appear in the output of
``policywatch classify`` and in findings. Weights and the way the entries combine live in
``monitor.rules.weights`` and ``monitor.detect``.

Groups:
  obj.*       AI / machine-learning objects (what gets trained or improved)
  sense.*     other senses of "model" that must not count as an AI object
  verb.*      development verbs, graded strong (train) / medium (improve) / weak (develop)
  nom.*       nominal training expressions ("model training", "training data")
  data.*      user data and content (the thing the model is trained on)
  own.*       content that belongs to the company, which users are told not to train on
  recip.*     recipients other than the company (licensing to third parties)
  share.*     verbs that hand data to someone else
  ctl.*       user controls: opt-out, objection, settings, consent
  cond.*      conditions that keep a permission a permission ("unless you have objected")
  neg.*       negators
  restrict.*  restrictions on users or on third parties (not a permission to the company)
  feat.*      AI used as a tool or feature on data, not trained on it
  staff.*     "train" in the sense of training people
  scope.*     scope items compared between versions (data categories, recipients, models,
              limits) to tell "widened" from "narrowed"
"""

from __future__ import annotations

# --------------------------------------------------------------------------- AI objects

AI_OBJECTS: tuple[tuple[str, str], ...] = (
    (
        "obj.ai",
        r"\bartificial[- ]intelligence\b|\ba\.i\.|\bais?\b|\bgen[- ]?ai\b|\bgai\b|\bai/ml\b",
    ),
    ("obj.generative-ai", r"\bgenerative (?:ai|artificial intelligence|models?|systems?)\b"),
    (
        "obj.machine-learning",
        r"\bmachine[- ]learning\b|\bml\b|\bdeep[- ]learning\b|\bneural net(?:work)?s?\b",
    ),
    (
        "obj.language-model",
        r"\b(?:large )?language models?\b|\bllms?\b|\bfoundation(?:al)? models?\b"
        r"|\bgpts?\b|\bgpt-\d\w*\b",
    ),
    ("obj.ai-model", r"\bmodels?\b"),  # sense-checked against sense.* below
    ("obj.algorithm", r"\balgorithm(?:s|ic)?\b"),
    ("obj.classifier", r"\bclassifiers?\b"),
    (
        "obj.ai-product",
        r"\bgemini(?: apps?)?\b|\bbard\b|\bcopilot\b|\bchat ?gpt\b|\bllama\b|\bmeta ai\b|\bgrok\b"
        r"|\bclaude\b|\balexa\b|\bgoogle assistant\b|\bdall-?e\b|\bsora\b|\bcloud ai\b",
    ),
    (
        "obj.ai-tech",
        r"\bspeech recognition\b|\bvoice recognition\b|\bnatural language (?:processing|understanding)\b"
        r"|\bnlp\b|\bcomputer vision\b|\bimage recognition\b|\bchat ?bots?\b"
        r"|\b(?:speech|voice|audio|language|translation|recognition) technolog(?:y|ies)\b"
        r"|\b(?:virtual|digital|voice|ai|conversational) (?:agents?|assistants?)\b",
    ),
    (
        "obj.future-versions",
        r"\bfuture (?:versions|iterations|generations)\b(?! of (?:this|these|our) (?:policy|terms|agreement))",
    ),
)

# Nouns that "train" can take in the AI sense even though they are not AI words on their own
# ("train our technologies", "help train tools that let people create content").
TECH_OBJECTS: tuple[tuple[str, str], ...] = (
    (
        "obj.technology",
        r"\btechnolog(?:y|ies)\b|\btools?\b|\bsystems?\b|\bfeatures?\b|\bservices?\b|\bproducts?\b",
    ),
)

# AI objects that name a feature used on data rather than a model being trained.
AI_FEATURE_OBJECTS = r"\b(?:ai|ml)[- ](?:powered|driven|based|enabled|generated)\b"

MODEL_OTHER_SENSES: tuple[tuple[str, str], ...] = (
    (
        "sense.model-clauses",
        r"\bmodel (?:contract(?:ual)? )?(?:clauses?|contracts?|terms|provisions|forms?)\b",
    ),
    (
        "sense.device-model",
        r"\b(?:device|phone|hardware|handset|car|vehicle|browser|computer|camera|product|printer) models?\b"
        r"|\bmodel (?:numbers?|names?|years?|types?|identifiers?)\b|\bmake and model\b|\bmodel and make\b",
    ),
    (
        "sense.business-model",
        r"\b(?:business|pricing|revenue|subscription|operating|delivery|service|payment|cost|"
        r"governance|organi[sz]ational|ownership|licensing|distribution) models?\b",
    ),
    ("sense.role-model", r"\brole models?\b|\bmodel (?:citizen|behaviou?r|employer)\b"),
    ("sense.3d-model", r"\b3d models?\b|\b3-d models?\b|\bscale models?\b|\bcad models?\b"),
    (
        "sense.fashion-model",
        r"\b(?:fashion|photo|professional) models?\b|\bmodel releases?\b|\bmodeling agenc",
    ),
    ("sense.data-model", r"\bdata models?\b|\bthreat models?\b|\bmaturity models?\b"),
)

# --------------------------------------------------------------------------- development verbs

STRONG_VERBS: tuple[tuple[str, str], ...] = (
    ("verb.train", r"(?<!pre-)(?<!pre)\b(?:re-?)?train(?:s|ed|ing)?\b"),
    ("verb.fine-tune", r"\bfine[- ]?tun(?:e|es|ed|ing)\b|\bpre-?train(?:s|ing)?\b(?!ed)"),
)
MEDIUM_VERBS: tuple[tuple[str, str], ...] = (
    ("verb.improve", r"\bimprov(?:e|es|ed|ing|ement|ements)\b"),
    ("verb.enhance", r"\benhanc(?:e|es|ed|ing|ement|ements)\b"),
    ("verb.refine", r"\brefin(?:e|es|ed|ing|ement|ements)\b"),
    ("verb.teach", r"\bteach(?:es|ing)?\b|\btaught\b"),
    ("verb.optimise", r"\boptimi[sz](?:e|es|ed|ing|ation)\b"),
    (
        "verb.make-better",
        r"\bmak(?:e|es|ing)\b(?:\s+\S+){0,6}?\s+(?:better|smarter|more (?:accurate|helpful|useful|capable|intelligent|reliable|relevant|safe))\b",
    ),
)
WEAK_VERBS: tuple[tuple[str, str], ...] = (
    ("verb.develop", r"\bdevelop(?:s|ed|ing|ment)?\b"),
    ("verb.build", r"\b(?:build(?:s|ing)?|built)\b(?! (?:on|upon)\b)"),
    ("verb.create", r"\bcreat(?:e|es|ed|ing|ion)\b"),
    ("verb.advance", r"\badvanc(?:e|es|ing|ement)\b"),
    ("verb.evaluate", r"\bevaluat(?:e|es|ed|ing|ion)\b"),
)
# "our models learn from your conversations"
LEARN_FROM = ("verb.learn-from", r"\blearn(?:s|ed|ing)?\s+from\b")

NOMINALS: tuple[tuple[str, str], ...] = (
    (
        "nom.training-data",
        r"\btraining (?:data(?:sets?)?|datasets?|sets?|corpus|corpora|examples)\b",
    ),
    (
        "nom.model-training",
        r"\b(?:ai|model|models|ml|machine[- ]learning|llm|algorithm(?:ic)?|artificial intelligence)"
        r"(?: model)? (?:training|fine[- ]tuning|pre-?training)\b",
    ),
    # the training-data disclosure: "we draw from publicly available and licensed sources"
    (
        "nom.data-sources",
        r"\b(?:publicly available|public) and licensed (?:sources|data(?:sets)?|information)\b|\blicensed (?:data ?sets|data sources|training sources)\b",
    ),
    (
        "nom.ai-improvement",
        r"\b(?:ai|model|ml|artificial intelligence|machine[- ]learning)(?: model)? improvement\b",
    ),
)
# Nominal "training" that is about people, not models.
TRAINING_PEOPLE = (
    r"\btraining (?:courses?|programs?|programmes?|sessions?|class(?:es)?|materials?|videos?|"
    r"certificat\w*|modules?|workshops?|events?|opportunit\w*|content|resources)\b"
    r"|\btraining (?:on|about|in) (?:how|the use|using|ai|data protection|privacy)\b"
)

# "training" with no object: an AI-training clause only next to a user control ("Opting out
# does not affect training that has already taken place").
BARE_TRAINING = r"\b(?:training|trained|fine-?tuning)\b"

STAFF_OBJECTS = (
    r"(?:our |its |their |your |the |all |relevant )?(?:staff|employees?|personnel|team(?: members)?|"
    r"agents?|representatives?|reviewers?|moderators?|workforce|people|colleagues|workers|"
    r"contractors|volunteers|managers|members of staff|customer service|support)\b"
)

# --------------------------------------------------------------------------- data

USER_DATA: tuple[tuple[str, str], ...] = (
    (
        "data.personal",
        r"\bpersonal (?:data|information|info|details)\b|\byour (?:[\w-]+ ){0,2}?(?:data|information|info|details)\b"
        r"|\b(?:user|member|customer|account|usage|activity|profile)s?'? (?:data|information)\b"
        r"|\b(?:data|information|info) (?:about|from|of) (?:you|users|members|people|customers)\b"
        r"|\b(?:data|information|info)(?: that)? (?:we|you) (?:collect|have|receive|obtain|process|provide|share)\w*\b"
        r"|\bprocess(?:es|ed|ing)? (?:the |certain )?(?:information|data)\b"
        r"|\bsuch (?:data|information|content)\b|\bthis (?:data|information)\b|\bmy (?:data|information|content)\b",
    ),
    (
        "data.user-content",
        r"\byour content\b|\buser[- ]?(?:generated )?content\b|\bmember[- ]generated content\b"
        r"|\bcontent (?:that )?(?:you|users|people|members|creators) (?:\w+ )?(?:post|share|upload|create|provide|submit|make)\w*\b"
        r"|\bcontent (?:posted|shared|uploaded|provided|submitted|reported)\b"
        r"|\b(?:your|their|users'|members'|people's|public|publicly[- ]shared|shared) "
        r"(?:posts?|photos?|pictures?|videos?|images?|art(?:work)?|music|voice|likeness|uploads?|files?|documents?|creations?|works?|comments?)\b"
        r"|\bposts(?:,| and) comments\b|\bpublic posts\b|\bpublicly[- ]shared content\b|\buploaded content\b",
    ),
    (
        "data.public",
        r"\bpublic(?:ly)?[- ]?(?:available|accessible|shared)? (?:information|data|content|profiles?)\b"
        r"|\b(?:information|data|content) (?:that'?s|that is|which is|that are) publicly available\b"
        r"|\bpublicly available (?:online|sources)\b|\bpublic information\b",
    ),
    (
        "data.messages",
        r"\b(?:private |direct |your |group )?messages\b|\bchats?\b|\bconversations?\b|\bemails?\b|\bdms\b|\bchat histor(?:y|ies)\b",
    ),
    (
        "data.interactions",
        r"\binteractions? (?:with|on)\b|\bprompts?\b|\binputs?\b|\boutputs?\b|\bqueries\b|\bsearch (?:history|queries|terms)\b"
        r"|\b(?:voice|audio) (?:recordings?|interactions?|data|inputs?)\b|\brecordings?\b|\bfeedback\b"
        r"|\b(?:listening|viewing|browsing|watch|search|purchase|reading|location|usage) (?:history|patterns|habits|activity|data)\b"
        r"|\btranscripts?\b|\binquiries\b|\bactivity\b|\binfo shared\b|\binformation (?:people|you|users) (?:have )?shared\b",
    ),
    ("data.generic", r"\b(?:information|data|content|info)\b"),
)

# Content that is the company's own (or the AI's output): "you may not train on our content".
OWN_CONTENT = (
    "own.company-content",
    r"\bour (?:content|materials?)\b|\bai[- ]generated content\b"
    r"|\b(?:content|data|outputs?) (?:from|of|generated by) (?:the|our) (?:ai )?(?:services?|platform|sites?|ai)\b",
)

# Special data categories that make a clause wider when they appear.
SENSITIVE_SUBJECTS: tuple[tuple[str, str], ...] = (
    (
        "data.non-users",
        r"\bnon-?(?:users|members)\b|\bpeople who (?:do not|don't) (?:have|use)\b|\bvisitors\b",
    ),
    (
        "data.minors",
        r"\bminors?\b|\bchildren\b|\bteens?\b|\bteenagers?\b|\bunder (?:the age of )?1[368]\b",
    ),
)

# --------------------------------------------------------------------------- recipients

RECIPIENTS: tuple[tuple[str, str], ...] = (
    (
        "recip.third-parties",
        r"\bthird[- ]part(?:y|ies)\b|\b(?:data |research |business |trusted )?partners\b|\bother (?:companies|organi[sz]ations)\b"
        r"|\bcollaborators\b|\blicensees\b|\bresearchers\b|\bai (?:companies|developers|providers)\b|\bsub-?licens\w*",
    ),
    (
        "recip.affiliates",
        r"\baffiliates?\b|\bparent company\b|\bgroup companies\b|\bfamily of companies\b|\bsubsidiar(?:y|ies)\b",
    ),
    # companies that receive other platforms' data for AI (the policy's own company is not one)
    ("recip.named", r"\bmicrosoft\b|\bopenai\b|\banthropic\b"),
)
# A recipient right before the training verb trains for itself: "so that Microsoft can train".
RECIPIENT_ACTOR = (
    r"\b(?:microsoft|openai|anthropic|affiliates|partners|third parties)"
    r"(?: (?:to|can|may|will|could|might|also|help|it can))+$"
)
SHARE_VERBS = (
    "share.verb",
    r"\b(?:share|shares|shared|sharing|disclos\w+|licen[cs]\w*|sell|sells|sold|selling|transfer\w*"
    r"|provide access|make (?:it |them )?available|grant\w*|syndicat\w*|sub-?licens\w*)\b",
)
THEIR_MODELS = r"\btheir (?:own )?(?:artificial intelligence|ai|machine[- ]learning|ml|generative|language|foundation)?\s*(?:models?|ai|artificial intelligence|systems?|algorithms?)\b"

# --------------------------------------------------------------------------- controls & conditions

CONTROLS: tuple[tuple[str, str], ...] = (
    ("ctl.opt-out", r"\bopt(?:s|ed|ing)?[- ]?out\b|\bopt(?:s|ed|ing)?[- ]?in\b|\bopt-in\b"),
    (
        "ctl.object",
        r"\bobject(?:ed|ing|ion|ions)\b|\bobjects? to\b|\bright to object\b|\bobject (?:at any time|to)\b",
    ),
    ("ctl.setting", r"\bsettings?\b|\btoggle\b|\bdata controls?\b"),
    ("ctl.preference", r"\bpreferences?\b|\bcontrols?\b"),
    (
        "ctl.turn-off",
        r"\bturn(?:s|ed|ing)? (?:it |this |that |them )?(?:off|on)\b|\bswitch(?:es|ed|ing)? (?:it |this )?(?:off|on)\b|\bdisabl(?:e|es|ed|ing)\b"
        r"|\bif you enable\b|\benabl(?:e|es|ed|ing) (?:the|this|your) (?:\w+ ){0,3}(?:setting|option|mode|control|toggle)\b",
    ),
    ("ctl.consent", r"\bconsent\b|\bwithdraw\w*\b|\bpermission\b"),
    (
        "ctl.choice",
        r"\bchoose (?:whether|not to|to)\b|\bchoices?\b|\bcontrol (?:whether|how|if)\b"
        r"|\bif you (?:would like|prefer|wish|do not want|don't want)\b",
    ),
    ("ctl.request", r"\bsubmit (?:a |an )?(?:requests?|objections?|forms?)\b|\bright to object\b"),
    # settings labels speak in the first person ("Use my data for training ..."); "(i)" is a
    # list numeral, not "I"
    ("ctl.first-person", r"\bmy\b|(?<!\()\bi\b(?!\))"),
)
CONDITIONS: tuple[tuple[str, str], ...] = (
    ("cond.unless", r"\bunless\b"),
    ("cond.except", r"\bexcept\b|\bother than\b"),
    (
        "cond.depending-on-settings",
        r"\bdepending on your (?:settings|choices|preferences)\b|\bif your settings allow\b|\bsubject to your (?:settings|choices|preferences)\b",
    ),
)
# Exceptions that turn a negated use back into a (conditional) use.
EXCEPTIONS = (
    r"\bunless\b|\bexcept\b|\bother than\b|\bwithout (?:your|their|the user's|a user's|the) (?:\w+ ){0,2}(?:consent|permission|authori[sz]ation|approval|opt-in)\b"
    r"|\bif you (?:\w+ )?(?:choose|opt|allow|agree|consent|decide|enable|turn|share|give|elect)\w*\b"
    r"|\bonly (?:if|when|with|where)\b|\buntil you\b|\bwhere you have\b|\bwith your (?:\w+ )?(?:consent|permission)\b"
)

NEGATORS = r"\b(?:is|are|be|been|remains?|stays?) excluded from\b|\bexclude[sd]? (?:\w+ ){0,4}from\b|\bnot\b|n't\b|\bnever\b|\bno longer\b|\bnor\b|\bneither\b|\bcannot\b|\bno\b(?! (?:matter|later|more than|less than)\b)"
# Negation after the verb that takes the user data out: "trained on public data, not on your data".
POST_NEGATION = r"\bnot (?:on|from|with|using|by|to)\b|\bnever (?:on|from|with)\b"
NOT_NEGATION = r"\bnot (?:only|just|limited|necessarily|all)\b|\bwhether or not\b|\bif not\b|\bno matter\b|\bnot to mention\b"

USER_RESTRICTIONS: tuple[tuple[str, str], ...] = (
    (
        "restrict.user-may-not",
        r"\byou (?:may|must|shall|will|should|can|cannot|agree to) ?(?:not|n't)\b|\byou (?:may|must|shall|will|can)not\b"
        r"|\byou (?:agree|undertake|promise|represent) (?:that you will )?not\b|\byou(?: are|'re) not (?:allowed|permitted|authori[sz]ed)\b"
        r"|\b(?:users?|customers?|developers?|licensees?|members?|anyone|recipients?) (?:may|must|shall|will)(?: not|n't)\b"
        r"|\bno one (?:may|can|shall)\b|\b(?:is|are) (?:strictly )?(?:prohibited|forbidden|not permitted|not allowed)\b"
        r"|\b(?:you|users?|customers?|developers?|members?|licensees?) (?:are |is )?(?:strictly )?(?:prohibited|forbidden) from\b"
        r"|\bprohibited (?:uses?|activit\w*|conduct)\b|\bmay not be used\b|\bnot (?:permitted|allowed) to\b"
        r"|^(?:do not|don't|never|please do not)\b|\bagree not to\b|\bwill not(?: \w+)? (?:attempt|permit|allow) (?:to|others|any)\b",
    ),
    (
        "restrict.any-ai",
        r"\bany (?:ai|artificial intelligence|machine learning|models?|large language|generative)\b",
    ),
)
THIRD_PARTY_RESTRICTION = (
    "restrict.third-party",
    r"\b(?:restrict|restricts|prohibit|prohibits|forbid|forbids|bar|bars|preclude|precludes|do not allow|don't allow|do not permit|don't permit)\b",
)
# Context lead-ins that turn a list of items into prohibitions ("You may not:", "Don't:").
RESTRICTION_LEAD_IN = (
    r"\byou (?:may|must|shall|will|agree|should)(?: not|n't| to not)\b|\byou (?:may|must|shall|will|can)not\b|\bagree not to\b"
    r"|\bprohibit\w*\b|\bforbid\w*\b|\bnot (?:permitted|allowed)\b|\brestrictions?\b|\bdon't\b|\bdo not\b|\bnot to\b|\bmisuse\b"
    r"|\bacceptable use\b|\bprohibited uses?\b"
)

# --------------------------------------------------------------------------- AI as a tool / feature

FEATURES: tuple[tuple[str, str], ...] = (
    (
        "feat.instrument",
        r"\bwith the help of\b|\busing\b|\bpowered by\b|\bthrough\b|\bvia\b|\bby means of\b|\bleverag\w+\b|\bemploy\w*\b|\brel(?:y|ies) on\b",
    ),
    (
        "feat.automated",
        r"\bautomated (?:systems?|tools?|means|processing|decision\w*|technolog\w+)\b",
    ),
    (
        "feat.user-trains",
        r"\b(?:you|users?|customers?|developers?|businesses|creators|admins?|administrators|organi[sz]ations)(?: can| may| are able to| could)? (?:train|fine-?tune|build|create|customi[sz]e)\w* (?:your|their) own\b|\b(?:allows?|lets?|enables?|helps?) (?:you|users|customers|developers|businesses) (?:to )?(?:train|fine-?tune|build|create)\b",
    ),
)
INSTRUMENT_WORDS = frozenset(
    {
        "in",
        "within",
        "inside",
        "using",
        "with",
        "through",
        "via",
        "by",
        "use",
        "uses",
        "leveraging",
        "employing",
        "apply",
        "applying",
    }
)

# --------------------------------------------------------------------------- scope (widened / narrowed)

SCOPE_DATA: tuple[tuple[str, str, str], ...] = (
    (
        "scope.data.personal-data",
        "personal data",
        r"\bpersonal (?:data|information)\b|\byour (?:data|information)\b",
    ),
    (
        "scope.data.content",
        "user content",
        r"\byour content\b|\buser[- ]?(?:generated )?content\b|\bmember[- ]generated content\b",
    ),
    ("scope.data.posts", "posts and comments", r"\bposts?\b|\bcomments?\b|\barticles\b"),
    (
        "scope.data.messages",
        "messages",
        r"\bmessages?\b|\bchats?\b|\bconversations?\b|\bemails?\b|\bdms\b",
    ),
    (
        "scope.data.photos",
        "photos and videos",
        r"\bphotos?\b|\bpictures?\b|\bimages?\b|\bvideos?\b|\blikeness\b",
    ),
    ("scope.data.voice", "voice and audio", r"\bvoice\b|\baudio\b|\brecordings?\b"),
    (
        "scope.data.public",
        "public information",
        r"\bpublic(?:ly)?[- ]?(?:available|shared)? (?:and licensed )?(?:information|data|content|posts)\b",
    ),
    (
        "scope.data.ai-interactions",
        "AI interactions",
        r"\binteractions? with\b|\bprompts?\b|\binputs?\b|\bqueries\b",
    ),
    ("scope.data.profile", "profile data", r"\bprofiles?\b"),
    (
        "scope.data.activity",
        "activity data",
        r"\b(?:your|browsing|search|app|location|online) activity\b|\bactivity (?:data|information)\b"
        r"|\bsearch history\b|\busage (?:data|information)\b",
    ),
    ("scope.data.feedback", "feedback", r"\bfeedback\b"),
    (
        "scope.data.non-users",
        "non-users",
        r"\bnon-?(?:users|members)\b|\bpeople who (?:do not|don't) (?:have|use)\b",
    ),
    (
        "scope.data.minors",
        "minors",
        r"\bminors?\b|\bchildren\b|\bteens?\b|\bunder (?:the age of )?1[368]\b",
    ),
    ("scope.data.sensitive", "sensitive data", r"\bsensitive\b|\bbiometric\b|\bhealth\b"),
)
# Recipients count when data goes *to* them ("share ... with our affiliates", "to third
# parties", "third parties may use it"), not when it comes from them.
_TO = r"\b(?:with|to)(?: our| its| their| selected| trusted| certain)?(?: parent company,?)? "
SCOPE_RECIPIENTS: tuple[tuple[str, str, str], ...] = (
    (
        "scope.recipient.affiliates",
        "affiliates",
        _TO + r"(?:affiliates?|parent company|group companies)\b",
    ),
    (
        "scope.recipient.third-parties",
        "third parties",
        _TO
        + r"(?:third[- ]part(?:y|ies)|(?:\w+ )?partners|other companies|collaborators|researchers)\b"
        r"|\b(?:third[- ]parties|partners|recipients) (?:who |that )?(?:may|can|to|will) (?:use|train)\b",
    ),
    (
        "scope.recipient.microsoft",
        "Microsoft",
        _TO + r"microsoft\b|\bmicrosoft(?:'s)? (?:ai|to train|can train|for its)\b",
    ),
    ("scope.recipient.openai", "OpenAI", _TO + r"openai\b"),
    ("scope.recipient.google", "Google", _TO + r"google\b"),
)
SCOPE_MODELS: tuple[tuple[str, str, str], ...] = (
    # generic AI (broader than "language models"), not when qualified ("generative AI models")
    (
        "scope.model.ai",
        "AI models",
        r"(?<!generative )(?<!gen )(?<!language )\b(?:ai|artificial intelligence)"
        r"(?: \(ai\))? (?:models?|systems?|technolog(?:y|ies))\b",
    ),
    (
        "scope.model.generative",
        "generative AI",
        r"\bgenerative\b|\bgenai\b|\bgen ai\b|\bcontent-generating\b",
    ),
    ("scope.model.machine-learning", "machine-learning models", r"\bmachine[- ]learning\b|\bml\b"),
    ("scope.model.language", "language models", r"\blanguage models?\b|\bllms?\b"),
    ("scope.model.foundation", "foundation models", r"\bfoundation(?:al)? models?\b"),
    ("scope.model.gemini", "Gemini", r"\bgemini\b"),
    ("scope.model.bard", "Bard", r"\bbard\b"),
    ("scope.model.cloud-ai", "Cloud AI", r"\bcloud ai\b"),
    ("scope.model.copilot", "Copilot", r"\bcopilot\b"),
    ("scope.model.chatgpt", "ChatGPT", r"\bchat ?gpt\b"),
    ("scope.model.meta-ai", "Meta AI", r"\bmeta ai\b|\bai at meta\b"),
    ("scope.model.llama", "Llama", r"\bllama\b"),
    ("scope.model.translate", "Google Translate", r"\btranslate\b"),
    (
        "scope.model.any-purpose",
        "models for any purpose",
        r"\bgeneral[- ]purpose\b|\bany purpose\b|\bother purposes\b",
    ),
)
SCOPE_LIMITS: tuple[tuple[str, str, str], ...] = (
    (
        "scope.limit.region",
        "region limit",
        r"\b(?:in|outside|within) (?:the )?(?:designated countries|eu|eea|european|united states|us|uk|switzerland)\b|\bdesignated countries\b|\bregions?\b",
    ),
    (
        "scope.limit.time",
        "time limit",
        r"\bgoing forward\b|\bfrom now on\b|\bafter (?:the )?effective date\b|\buntil\b|\bfor (?:a period|up to)\b",
    ),
    (
        "scope.limit.de-identified",
        "de-identification",
        r"\bde-?identified\b|\banonymi[sz]ed\b|\baggregated?\b|\bpseudonymi[sz]ed\b",
    ),
    (
        "scope.limit.public-only",
        "public content only",
        r"\bonly (?:public|publicly)\b|\bpublic(?:ly)?[- ]?(?:available|shared)? (?:information|content|posts) only\b",
    ),
    ("scope.limit.adults-only", "adults only", r"\b18 (?:years|or older)\b|\badults?\b"),
    (
        "scope.limit.purpose",
        "purpose limit",
        r"\bfor (?:the )?purposes? (?:of|outlined|described)\b|\bsolely\b|\bonly (?:to|for)\b",
    ),
    (
        "scope.limit.control",
        "user control",
        r"\bopt[- ]?out\b|\bobject\w*\b|\bsettings?\b|\bconsent\b|\bunless\b",
    ),
)

# --------------------------------------------------------------------------- weights

# Base score of a development event, by how it links a verb to an AI object. A clause is an
# AI-training clause when its best event, plus the data bonus, reaches THRESHOLD.
WEIGHTS: dict[str, float] = {
    "event.strong-active": 0.60,  # "train our AI models", "fine-tune these models"
    "event.strong-passive": 0.45,  # "models are trained ..." (needs data to count)
    "event.strong-tech": 0.45,  # "train our technologies / tools"
    "event.strong-anywhere": 0.40,  # "train ... the Services ... AI Technology"
    "event.medium": 0.50,  # "improve our AI", "make future versions better"
    "event.weak": 0.35,  # "develop AI models" (needs data to count)
    "event.use-for-ai": 0.40,  # "uses information for generative AI models"
    "event.learn-from": 0.50,
    "event.train-on-data": 0.50,  # "we train on your data" (no AI word needed)
    "event.training-control": 0.50,  # "opting out ... training" (no AI word needed)  # "our models learn from your conversations"
    "nom.training-data": 0.55,
    "nom.model-training": 0.60,
    "nom.ai-improvement": 0.45,
    "nom.data-sources": 0.45,  # only counts with an AI object in the clause
    "data.specific": 0.25,  # user data named in the clause
    "data.generic": 0.15,  # "information", "data", "content"
    "data.context": 0.10,  # user data named only in the heading path / lead-in
    "context.training": 0.55,  # clause inherits an AI-training lead-in / row label
    "cap.negated": 0.20,
    "cap.restricted": 0.15,
    "cap.user-feature": 0.25,
    "cap.descriptive": 0.45,
}
THRESHOLD = 0.5
