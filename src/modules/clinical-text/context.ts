/**
 * NegEx / ConText-style scoping of concept mentions.
 *
 * Each mention (a token range) gets one status:
 *  - `figurative`  "nearly gave me a heart attack", "a heart attack on a plate", "stroke of luck"
 *  - `generic`     educational or encyclopaedic sentences ("Symptoms include…", "an essay on…",
 *                  "the film was about…"), and generic subjects ("people who have had a stroke")
 *  - `hypothetical` "what if", "if I ever", "in case of", "should I worry if", "what are the signs
 *                  of", "how do I know if", "risk of", "can you get"
 *  - `negated`     pre-triggers ("no", "not", "n't", "never", "without", "denies", "free of",
 *                  "negative for"…) whose scope runs up to 6 tokens (10 for list triggers such as
 *                  "denies") and stops at a terminator ("but", "however", "although", "except",
 *                  "and I/he/she/my…", sentence punctuation; commas too except for list triggers);
 *                  post-triggers ("ruled out", "unlikely"); pseudo-triggers ("not sure",
 *                  "not going away", "won't stop", "oh no") never negate.
 *  - `historical`  "history of", "previous", "used to", "after his …", "died of", and time
 *                  expressions after the mention in the same clause ("in 2019", "years ago",
 *                  "last month", "as a child", "when I was 19"). Recent times ("an hour ago",
 *                  "yesterday", "this morning") are NOT history.
 *  - `resolved`    "…but it's gone now", "coughed it out and I'm fine now", "ECG was normal"
 *                  (unless it then "came back" / "again" / "worse").
 *  - `affirmed`    everything else — including emergencies happening now to someone else
 *                  ("my dad is clutching his chest").
 *
 * Triggers that fall inside the mention itself are ignored, so concepts that contain a negation
 * ("can't breathe", "won't wake up", "rash that doesn't fade", "no reason to live") stay affirmed.
 */
import type { Normalized } from './normalize.js';
import { tokenRange } from './normalize.js';

export type MentionStatus = 'affirmed' | 'negated' | 'historical' | 'hypothetical' | 'generic' | 'figurative' | 'resolved';

function re(alternatives: string[]): RegExp {
  return new RegExp(String.raw`(?<![\p{L}\p{N}'])(?:${alternatives.join('|')})(?![\p{L}\p{N}'])`, 'gu');
}

const NEG_PRE = re([
  'no',
  'not',
  'never',
  'without',
  'nor',
  'neither',
  'none',
  String.raw`(?:do|does|did|is|are|was|were|have|has|had|ai)n't`,
  'do not',
  'does not',
  'did not',
  'have not',
  'has not',
  'had not',
  'free of',
  'absence of',
  'negative for',
  'rule out',
  'ruled out',
  'deny',
  'denies',
  'denied',
  'denying',
  'no signs? of',
  'no evidence of',
  'no history of',
  'no hx of',
  'no more',
  'not any',
]);
const NEG_LIST_PRE = re([
  'deny',
  'denies',
  'denied',
  'denying',
  'negative for',
  'no signs? of',
  'no evidence of',
  'free of',
  'without any',
  'no history of',
  'no hx of',
]);
const NEG_POST = re([
  'denied',
  // "…the eyeball itself looks normal": the writer contrasts the part named with what is wrong nearby.
  'itself (?:looks?|seems?|is|feels?) (?:normal|fine|ok|okay|clear|white)',
  '(?:is|was|are|were) absent',
  'not today',
  'ruled out',
  'was excluded',
  'been excluded',
  '(?:is|was|are|were|seems) unlikely',
  'not present',
  '(?:was|is|came back) negative',
]);
const PSEUDO_NEG = re([
  'not sure',
  'not certain',
  'no idea',
  "(?:don't|do not|didn't|not) know",
  'no doubt',
  'not only',
  'not just',
  'no better',
  'not better',
  'not improving',
  'not getting better',
  'not going away',
  'not go away',
  "(?:doesn't|don't|didn't|won't|isn't) go(?:ing)? away",
  'no change',
  'not stopping',
  'not stop',
  "(?:doesn't|don't|didn't|won't|hasn't|isn't) stop(?:ped|ping)?",
  'not helping',
  "(?:doesn't|didn't|isn't|hasn't) help(?:ing|ed)?",
  'not working',
  "(?:isn't|doesn't|didn't|hasn't) work(?:ing|ed)?",
  'oh no',
  'no no',
  'no one',
  'noone',
  'no way',
  'not long',
  'not able to',
  'not enough',
  'no matter',
  'not even',
  'nothing (?:is )?help\\w*',
  "(?:don't|do not) want to (?:be alive|live|exist|be here|wake up|go on)",
]);

const HIST_PRE_WIDE = re([
  'history of',
  'hx of',
  'h o',
  'past (?:medical )?history',
  'pmh',
  'previous',
  'previously',
  'prior',
  // "in the past hour", "in the past few days": a recent period, so now (not history).
  String.raw`in the past(?! (?:(?:\\d+|few|couple|couple of|one|two|three|four|five|six|twelve|twenty four|forty eight) )?(?:minutes?|mins?|hours?|hrs?|half hour|half an hour|day|days|night|evening|morning|afternoon|while|week|24 hours|48 hours))`,
  'used to',
  'recovering from',
  'recovered from',
  'survived',
  'survivor of',
  'died (?:of|from|after|with)',
  'passed away (?:from|of|after|with)',
  'lost (?:my|his|her|our) \\S+ to',
  'in remission',
  'recover(?:y|ing|ed|s)? from',
  // "in the last week" is a recent period that runs up to now; "last week" alone dates an event.
  String.raw`(?<!(?:in|over|within|during|for) the )last week|last (?:year|month|summer|winter|spring|autumn|fall|christmas|pregnancy)`,
  String.raw`in (?:19|20)\d\d`,
  String.raw`\d+ (?:weeks?|months?|years?|yrs?|decades?) ago`,
  'when (?:i|he|she|they) (?:was|were) (?:\\d+|young|little|small|younger|a \\S+)',
  'as a (?:child|kid|baby|teenager|teen|toddler|student|boy|girl)',
  '(?:years|months) ago',
  // "I was admitted with sepsis", "she was treated for a stroke": a past episode of care.
  '(?:was|were|been|got) (?:admitted|hospitali[sz]ed|treated|diagnosed|in hospital|in intensive care|in icu) (?:with|for)',
]);
const HIST_PRE_NEAR = re(['(?:after|since|following|post) (?:my|his|her|their|your|its|the|a|an)']);
const HIST_POST = re([
  String.raw`\d+ (?:weeks?|months?|years?|yrs?|decades?) ago`,
  '(?:weeks|months|years|decades) ago',
  String.raw`(?:a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|many|few|couple of|a couple of|a few) (?:weeks?|months?|years?|decades?) ago`,
  'a while ago',
  'long ago',
  'ages ago',
  'years back',
  // "in the last week" is a recent period that runs up to now; "last week" alone dates an event.
  String.raw`(?<!(?:in|over|within|during|for) the )last week|last (?:year|month|summer|winter|spring|autumn|fall|christmas|pregnancy)`,
  'in (?:her|my|his|their|a|the) (?:last|previous|first|earlier) pregnancy',
  String.raw`in (?:19|20)\d\d`,
  'back in',
  // "in the past hour", "in the past few days": a recent period, so now (not history).
  String.raw`in the past(?! (?:(?:\\d+|few|couple|couple of|one|two|three|four|five|six|twelve|twenty four|forty eight) )?(?:minutes?|mins?|hours?|hrs?|half hour|half an hour|day|days|night|evening|morning|afternoon|while|week|24 hours|48 hours))`,
  'as a (?:child|kid|baby|teenager|teen|toddler|student|boy|girl|young \\S+)',
  'when (?:i|he|she|they) (?:was|were) (?:\\d+|young|little|small|younger|a \\S+|pregnant with)',
  'years earlier',
  'in (?:his|her|my|their) (?:twenties|thirties|forties|fifties|youth|teens)',
  '(?:but )?none since',
  'with (?:our|my|her|his|their|your) (?:first|last|previous|eldest|older|oldest|second|third|other|youngest) (?:baby|child|son|daughter|pregnancy|one|boy|girl|kid)',
  'last (?:term|semester|school year|holidays?|half term)',
  // An age at the time ("a febrile convulsion aged 2, he's 6 now"; "at the age of 3").
  String.raw`(?:aged|at age|at the age of) (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b`,
]);
/**
 * "…she's fine now": history for a symptom, but not for an exposure (an overdose or a poisoning
 * harms later, MentionOptions.exposure), so kept apart from HIST_POST.
 */
const WELL_NOW_POST = re([
  '(?:is|was|are) (?:fine|ok|okay|well) now',
  "(?:she's|he's|i'm|im|they're|we're|shes|hes|she is|he is|i am|they are) (?:fine|ok|okay|well|good|alright|all right|doing well|doing fine|back to normal) now",
  // "…she's doing really well now", "he's 6 now and thriving": told from a later time.
  "(?:she's|he's|i'm|im|they're|we're|shes|hes|she is|he is|i am|they are) doing (?:really |very |so |much )?(?:well|great|good|fine|better) now",
]);
/**
 * "…with sepsis in March": a month name right after the mention, with no comma between, dates it
 * in the past ("due in March" is a pregnancy, not a date of illness). Kept near (4 tokens, no comma)
 * so "crushing chest pain, flying to Spain in March" is not read as history.
 */
const HIST_POST_MONTH = re([
  String.raw`(?<!due )in the (?:spring|summer|autumn|winter|fall)`,
  String.raw`(?<!due )in (?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)`,
]);
const HYPO_PRE = re([
  'if',
  'what if',
  'in case',
  'incase',
  'in the event',
  'should i (?:be )?worr(?:y|ied)',
  'do i need to worry',
  'worried about (?:the |my |a )?(?:risk|chance)',
  '(?:risk|risks|chance|chances|likelihood|odds) of',
  'at risk',
  'prevent\\w*',
  'avoid\\w*',
  'how (?:do|can|would|will|should|could) (?:i|you|we|one|someone|people) (?:know|tell|recogni[sz]e|spot|identify)',
  'how to (?:tell|know|recogni[sz]e|spot|identify|prevent|avoid|treat|help|deal)',
  'what (?:are|is) (?:the )?(?:\\S+ )?(?:signs|symptoms)',
  'what (?:is|are) (?:a|an)',
  "what's (?:a|an)",
  'what does',
  'what causes',
  'what happens',
  'what to do',
  'can you get',
  'could (?:i|you) get',
  String.raw`can (?:\S+ ){1,2}(?:cause|give you|lead to|trigger|make you)`,
  'makes? you',
  'feel like you',
  'is it (?:possible|safe|ok|okay|normal|dangerous|bad)',
  'can i still',
  'whether',
  'in the future',
  'suppose',
  'supposing',
  'imagine',
  'scared of',
  'afraid of',
  // A question about what would follow ("if I forget my insulin, will I get DKA?").
  '(?:will|would) (?:i|you|he|she|we|they|my \\S+) (?:get|develop|end up with|go into)',
  // A worry about getting something later ("worried I might get sepsis after my operation"); "might be
  // having" stays a report of now.
  String.raw`(?:worried|worry|worrying|scared|afraid|frightened|terrified|anxious|concerned|paranoid) (?:that )?(?:i|he|she|they|we|you|my \p{L}+) (?:might|may|could|will|would|'ll) (?:get|develop|catch|end up with|go into)`,
  'fear of',
  'when (?:should|do|would) (?:i|you|we)',
  'test(?:s|ed|ing)? for',
  'screen\\w* for',
  'always',
  'usually',
  'normally',
  'necessarily',
  // Indirect questions: "my mum wants to know what the warning signs of a heart attack are".
  '(?:wants?|wanted|would like|like) to (?:know|learn|find out)',
  'asked (?:me |us |you )?(?:what|how|if|whether|about)',
  'wondering (?:what|how|if|whether|about)',
  String.raw`(?:what|which) (?:the )?(?:[\p{L}]+ )?(?:signs|symptoms) (?:of|for)`,
  'vaccin\\w* (?:against|for)',
  'jab (?:for|against)',
  'first aid for',
  // "what's the difference between an allergic reaction and anaphylaxis": a comparison of terms.
  '(?:difference|differences|diffrence|differance|diff) between',
]);
/** Times to come after a mention: "I might have a heart attack one day". */
const HYPO_POST = re([
  // A topic then a general question about it ("febrile seizures - how long do they normally last").
  '(?:how long|how often|how common|how serious|how dangerous) (?:do|does|are|is|can) (?:they|these|those|it|that|them)',
  'one day',
  'some day',
  'someday',
  'in (?:the )?future',
  'later in life',
  'in later life',
  "when (?:i'm|im|i am|i get|i'm a bit|they're|he's|she's) older",
  'in old age',
  'at some point',
  'eventually',
]);
/**
 * Sentence-opening conditionals ("what if I get stung and my throat swells", "if she ever stops
 * breathing and goes blue …"): the whole conditional clause is hypothetical, including the parts
 * joined by "and my …" that end an ordinary trigger's scope; a comma, "but" or a sentence end stops it.
 */
const HYPO_SENT = re(['what if', 'what happens if', 'what would happen if', 'suppose', 'supposing', 'imagine', 'in case', 'if', 'if ever']);
/** Animals are not our patients ("my cat is choking on a hairball"). */
const ANIMAL_PRE = re([
  "(?:cat|cats|dog|dogs|puppy|kitten|pet|rabbit|hamster|guinea pig|horse|pony|parrot|budgie|bird|ferret|tortoise|snake)(?:'s)?",
  // Things personified in jokes ("my wallet had a heart attack at the till", "my laptop died").
  "(?:wallet|purse|bank|bank account|bank balance|account|credit card|card|phone|laptop|computer|pc|printer|car|engine|fridge|boiler|router|wifi|battery|plant|plants|tv|telly|team|stock|stocks|shares)(?:'s)?",
]);
const GENERIC_SUBJ_PRE = re([
  '(?:people|someone|somebody|anyone|anybody|person|patients?|those|a man|a woman|a teenager|teenagers|kids|children|men|women|one) (?:who|that|with)',
  '(?:people|patients|men|women|children|kids|teenagers|adults) (?:\\S+ )?(?:can|may|might|often|usually|sometimes|generally|typically)',
  'do you (?:treat|see|help|have)',
]);
const EDU_SENTENCE = re([
  'essay',
  'blog',
  'blog post',
  'podcast',
  'newsletter',
  'poster',
  'infographic',
  'quiz',
  'essays',
  'article',
  'articles',
  'documentary',
  'film',
  'films',
  'movie',
  'movies',
  'novel',
  'lecture',
  'presentation',
  'workshop',
  'homework',
  'assignment',
  'statistics',
  'research',
  'researching',
  'read about',
  'reading about',
  'learning about',
  'learn about',
  'wikipedia',
  'leaflet',
  'podcast',
  'tv show',
  'episode',
  // Television watched: a season binged, a scene "where someone collapses".
  'binge[ds]? (?:watch\\w*|the whole|the entire|a whole|all of)',
  'binge-?watch\\w*',
  '(?:whole|entire|new|last|first) season|season finale|series finale|box ?set',
  'on (?:tv|telly|netflix|iplayer|youtube|tiktok|prime)',
  String.raw`watch(?:ed|ing)? (?:\S+ ){1,4}where (?:someone|somebody|a character|a patient|the (?:surgeon|doctor|nurse|character|guy|girl|woman|man|hero|patient))`,
  'squad',
  '(?:school|uni|university|college|class|science|research|chemistry|biology|physics|medical|nursing|health) (?:project|report|paper|class|course|exam|homework)',
  'just curious',
  'out of curiosity',
  '(?:project|essay|report|presentation|talk|assignment|paper|poster) (?:on|about)',
  'stands for',
  'acronym',
  '(?:symptoms|signs) (?:can |may |often |usually )?include',
  '(?:is|are) (?:often |usually |commonly )?treated with',
  '(?:is|are) (?:often |usually |commonly )?caused by',
  'occurs? when',
  'deaths (?:rose|fell|increased|decreased)',
  'awareness',
  'prevention(?! line| hotline| helpline| number)',
  // Songs, rhymes and quotations (titles and lyrics say "can't breathe", "heart attack", "toxic").
  'song',
  'songs',
  'lyric',
  'lyrics',
  'album',
  'albums',
  'karaoke',
  'playlist',
  'on the radio',
  'music video',
  'sing along',
  '(?:teacher|lecturer|tutor|instructor|trainer|professor) (?:explained|taught|told us|showed us|talked about)',
  'explained how',
  'training to be an?',
  'first aid (?:badge|course|training|class|certificate|lesson|session|manual)',
  '(?:badge|course|training|lesson|class|module|session|syllabus) (?:covered|covers|included|includes|taught)',
  String.raw`(?:talk|session|lesson|class|course|training|workshop|demo|demonstration|video|assembly|webinar|lecture)(?: [\p{L}']+){0,3} (?:was|is|were) (?:all )?(?:about|on)`,
  'revising',
  'revision',
  'textbook',
  String.raw`how (?:a|an|the) [\p{L}']+(?: [\p{L}']+)? (?:happens|works|develops|is treated|is diagnosed)`,
  'singalong',
  'nursery rhyme',
  'rhyme',
  'poem',
  'quote',
  'quoting',
  'the line',
  'chorus',
  'verse',
  'soundtrack',
  'musical',
  String.raw`(?:symptoms|signs) of (?:a |an )?[\p{L}']+(?: [\p{L}']+)? (?:can |may |often |usually )?include`,
  String.raw`(?:(?<=^)|(?<=[.!?;] ))(?!(?:this|it|that|he|she|my|his|her|i|there|what|which)\b)(?:a |an |the )?[\p{L}']+(?: [\p{L}']+)? (?:is|are) (?:a|an) (?:severe|serious|life threatening|medical|common|rare|type|condition|disease|form|leading|major|sudden|acute)`,
]);
const FIG_PRE = re([
  // "nearly / almost" make an idiom of dying or a heart attack, but "nearly fainted", "almost passed
  // out", "nearly blacked out" are near-faints (NHS: "feeling faint"), a real symptom.
  String.raw`nearly(?! (?:faint|fainted|fainting|passed out|pass out|passing out|blacked out|black out|collapsed|keeled over|went down))`,
  String.raw`almost(?! (?:faint|fainted|fainting|passed out|pass out|passing out|blacked out|black out|collapsed|keeled over|went down))`,
  'practically',
  'basically',
  'gonna give me',
  'gave me',
  'give me',
  'giving me',
  // "like a" marks a comparison ("laughing like a …"), except in the way people describe a symptom:
  // "feels like a weight on my chest", "it's like a band round my head".
  String.raw`(?<!(?:feels?|felt|feeling|feelin|it's|its|is|was|it is|it was|as if|pain) )like a`,
  'laughing',
  'laughed',
  'lol',
  'haha',
  'lmao',
]);
const FIG_POST = re(['on a plate', 'waiting to happen', 'of luck', 'of genius', 'of laughter', 'laughing']);
/**
 * Reaction idioms: a named catastrophe followed by a reaction to news ("she'll have a heart attack
 * when she sees the bill", "my heart stopped when I heard"). Only for the mentions EVENT_IDIOM names:
 * "I collapsed when I saw the blood" is a symptom, not a figure of speech.
 */
const FIG_REACTION_POST = re([
  String.raw`(?:when|if|once|after) (?:i|he|she|they|you|we|my \S+|the \S+) (?:sees?|saw|seen|hears?|heard|finds? out|found out|gets?|got|reads?|opens?|opened|looks?|looked|checks?|checked|realised|realized|notices?|noticed|finds?|found)`,
]);
const EVENT_IDIOM =
  /\b(?:heart attack|stroke|coronary|cardiac arrest|heart (?:has |had |just )?(?:stopped|skipped|missed|sank)|fit|seizure|died|die|dead|aneurysm)\b/;
/**
 * Idioms of a small, documented list (Cambridge and Collins idiom entries): a mention of one of these
 * words followed or preceded by the idiom's frame is a figure of speech. "choke" = fail under
 * pressure or be moved ("choked on the penalty", "choked up at the speech"); "X is suffocating me" of
 * a job or a relationship, or of heat and air; "dying to / for", "dying of boredom / laughter / embarrassment".
 */
const IDIOMS: { mention: RegExp; post?: RegExp; pre?: RegExp }[] = [
  {
    mention: /^chok/,
    post: /^(?:up\b|(?:(?:on|during|in|at|under) )?(?:the |my |his |her |their |a |an )?(?:penalty|penalties|exam|exams|test|interview|presentation|final|finals|game|match|shot|putt|speech|lines|audition|pressure|big moment|free throw|serve|spot kick|last question))/,
  },
  {
    mention: /^suffocat/,
    pre: /(?:work|job|life|school|uni|college|relationship|marriage|parents|family|boss|town|rules|routine|he|she|they|this place)(?: is| are|'s)? $/,
  },
  // Oppressive heat or air (Collins "suffocating": oppressively hot or airless): "the heat is
  // suffocating in here", "suffocating humidity".
  {
    mention: /^suffocat/,
    pre: /(?:heat|atmosphere|humidity|weather|office|classroom|crowd)(?: is| was|'s| feels| felt)?(?: so| really| absolutely)? $/,
    post: /^(?:heat|humidity|atmosphere|weather|in this heat)\b/,
  },
  { mention: /^(?:dying|die)$/, post: /^(?:to\b|for\b|of (?:boredom|laughter|embarrassment|shame|curiosity|envy|jealousy|thirst|hunger))/ },
  // Collins "choke on": be overwhelmed by work or information ("choking on all the numbers / emails").
  {
    mention: /^chok/,
    post: /^on (?:all )?(?:the |my |these |this |those )?(?:numbers|figures|work|workload|emails?|paperwork|admin|deadlines?|spreadsheets?|data|homework|bills|debt|jargon|red tape|bureaucracy)\b/,
  },
  // Movement or colour that is not the body's: "shaking his rattle all over the place", "lips
  // purple from the blackberries" (a stain, not cyanosis).
  { mention: /\ball over$/, post: /^the (?:place|shop|house|room|floor)\b/ },
  {
    mention: /\b(?:purple|blue|black|grey|gray)\b|\b(?:lips?|tongue|mouth)$/,
    post: /^(?:(?:are|is|went|gone|all) )?(?:\S+ )?from (?:the |eating |drinking |a |an |some |my |his |her )?(?:blackberr|blueberr|berr|bilberr|wine|beetroot|ice lolly|lolly|lollies|slush|felt|pen\b|marker|lipstick|dye|juice|sweets?|squash|food colouring|paint|ink)/,
  },
];
/**
 * Nasal congestion: "can't breathe through my nose", "nose is blocked and I can't breathe" describe a
 * stuffy nose, not a breathing emergency (issue 10 lists it among the false positives).
 */
const NASAL_POST = re([String.raw`through (?:my |his |her |their |the |your |one |both |a )?(?:nose|nostrils?)`, 'through it']);
const NASAL = re([
  String.raw`(?:blocked|stuffy|stuffed|bunged|congested|snotty|runny)(?: up)? (?:nose|nostrils?)`,
  String.raw`nose (?:is |was |feels |so )?(?:all )?(?:blocked|stuffed|bunged|congested)`,
  'cold and flu',
  'head cold',
]);
/** Laughter markers make the whole sentence figurative ("I'm choking on all this paperwork lol"). */
const LAUGH = re(['lol', 'lool', 'haha\\w*', 'hehe', 'lmao', 'lmfao', 'rofl', 'jk', 'just kidding', 'joking']);
const RESOLVED_POST = re([
  "(?:it's|its|it has|it is|it|has|have|pain's|pain has|pain is|is|they've|they have) (?:completely |all |totally |now |since )?(?:gone|settled|resolved|stopped|passed|cleared|subsided|eased|eased off|went away)(?= *(?:$|[.,;!?]|now|away|and|but|since|completely|for good|on its own|by itself|after|with|within|in))",
  'went away',
  'go(?:ne)? away on its own',
  '(?:fine|ok|okay|better|alright|all right) now',
  '(?:have|has|had|am|is|are|was|were|now|since|fully|completely) (?:now |since |fully |completely |made a full )*recover(?:ed|y)',
  'recovered (?:well|fully|completely)',
  'coughed it (?:out|up)',
  'came back (?:normal|fine|clear)',
  '(?:was|were|has been|have been|got|been) (?:reviewed|seen|assessed|treated|checked over|discharged)',
  '(?:ecg|ekg|test|tests|scan|bloods|x ray|troponin) (?:was|were|is|are|came back) (?:normal|fine|clear)',
]);
const RECURRENCE = re(['back', 'again', 'returned', 'worse', 'recurr\\w*', 'worsening']);
/**
 * A sentence that opens like a question and says nothing about the writer or someone with them is a
 * general question, not a report: "what is the first aid for a seizure", "can u get meningitis twice".
 * Any statement marker ("my", "I'm", "she's" …) keeps it a report: "is it normal my baby is floppy".
 */
const QUESTION_START = new Set([
  'what',
  "what's",
  'whats',
  'how',
  'why',
  'when',
  'which',
  'who',
  'can',
  'could',
  'should',
  'would',
  'does',
  'do',
  'is',
  'are',
  'will',
  'whose',
]);
const STATEMENT_MARKER = new Set([
  "i'm",
  'im',
  "i've",
  'ive',
  'my',
  "he's",
  "she's",
  'hes',
  'shes',
  "it's",
  "there's",
  'mine',
  'our',
  'me',
  "we're",
  "they're",
]);
const FEEL_VERB = new Set([
  'have',
  'had',
  'feel',
  'felt',
  'am',
  'was',
  "can't",
  'cannot',
  'think',
  'got',
  'keep',
  'just',
  'took',
  'ate',
  'drank',
  'swallowed',
  'fell',
  'hit',
  'cut',
  'burnt',
  'burned',
]);
const HARD_WORDS = new Set(['but', 'however', 'although', 'though', 'except', 'apart', 'aside', 'whereas', 'yet']);
const SENTENCE_END = new Set(['.', '!', '?', ';']);
const SOFT_PUNCT = new Set([',', ':', '(', ')']);
const CLAUSE_JOIN = new Set(['and', 'so', 'then', 'because', 'cos', 'now', 'plus']);
const SUBJECT = new Set([
  'i',
  "i'm",
  "i've",
  'he',
  'she',
  "he's",
  "she's",
  'it',
  "it's",
  'they',
  "they're",
  'we',
  "we're",
  'my',
  'his',
  'her',
  'our',
  'their',
  'now',
  "there's",
  'there',
  'suddenly',
  'the',
  'im',
]);
const HIST_STOP = new Set(['now', 'currently', 'today', 'again', 'still', 'tonight']);

export interface Hit {
  first: number;
  last: number;
}

export interface ContextIndex {
  n: Normalized;
  sentence: Int32Array;
  /** boundary level per token: 0 none, 1 soft (comma…), 2 hard (but, and-I…), 3 sentence end */
  boundary: Uint8Array;
  eduSentence: Set<number>;
  /** Sentences that ask a general question ("what is the first aid for a seizure?"). */
  questionSentence: Set<number>;
  laughSentence: Set<number>;
  negPre: Hit[];
  negListPre: Hit[];
  negPost: Hit[];
  histPreWide: Hit[];
  histPreNear: Hit[];
  histPost: Hit[];
  wellNowPost: Hit[];
  hypoPre: Hit[];
  /** Sentence-opening conditionals and the token where their clause ends. */
  hypoSent: { first: number; until: number }[];
  histPostMonth: Hit[];
  hypoPost: Hit[];
  figReaction: Hit[];
  nasal: Hit[];
  nasalPost: Hit[];
  genericPre: Hit[];
  animalPre: Hit[];
  figPre: Hit[];
  figPost: Hit[];
  resolvedPost: Hit[];
  recurrence: Hit[];
}

function hits(n: Normalized, rx: RegExp): Hit[] {
  const out: Hit[] = [];
  rx.lastIndex = 0;
  for (const m of n.canonical.matchAll(rx)) {
    if (m[0].length === 0) continue;
    const [first, last] = tokenRange(n, m.index, m.index + m[0].length);
    out.push({ first, last });
  }
  return out;
}

/**
 * Conditional clauses that open a sentence: from the trigger to the first comma, "but"-like word or
 * sentence end ("and my …" does not end them).
 */
function hypoSentences(n: Normalized, sentence: Int32Array, boundary: Uint8Array): { first: number; until: number }[] {
  const out: { first: number; until: number }[] = [];
  for (const h of hits(n, HYPO_SENT)) {
    // Only at the start of a sentence (or right after a greeting word or "and"/"so").
    const prev = h.first - 1;
    const atStart = prev < 0 || sentence[prev] !== sentence[h.first] || (prev === 0 && /^(?:and|so|but|ok|okay|hi|hello|also|q)$/.test(n.tokens[0]!.text));
    if (!atStart) continue;
    let until = h.last + 1;
    while (
      until < n.tokens.length &&
      sentence[until] === sentence[h.first] &&
      (boundary[until] === 0 || (boundary[until] === 2 && !HARD_WORDS.has(n.tokens[until]!.text)))
    )
      until++;
    out.push({ first: h.first, until: until - 1 });
  }
  return out;
}

function overlaps(a: Hit, b: Hit): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function buildContext(n: Normalized): ContextIndex {
  const count = n.tokens.length;
  const sentence = new Int32Array(count);
  const boundary = new Uint8Array(count);
  let s = 0;
  for (let i = 0; i < count; i++) {
    const t = n.tokens[i]!.text;
    sentence[i] = s;
    if (SENTENCE_END.has(t)) {
      boundary[i] = 3;
      s++;
    } else if (SOFT_PUNCT.has(t)) boundary[i] = 1;
    else if (HARD_WORDS.has(t)) boundary[i] = 2;
    else if (CLAUSE_JOIN.has(t) && i + 1 < count && SUBJECT.has(n.tokens[i + 1]!.text)) boundary[i] = 2;
  }
  const pseudo = hits(n, PSEUDO_NEG);
  const negPre = hits(n, NEG_PRE).filter((h) => !pseudo.some((p) => overlaps(p, h)));
  const eduSentence = new Set<number>();
  for (const h of hits(n, EDU_SENTENCE)) eduSentence.add(sentence[h.first]!);
  const questionSentence = new Set<number>();
  for (let i = 0; i < count;) {
    let j = i;
    while (j < count && sentence[j] === sentence[i]) j++;
    const words = n.tokens.slice(i, j).map((t) => t.text);
    if (QUESTION_START.has(words[0] ?? '') && !words.some((w, k) => STATEMENT_MARKER.has(w) || (w === 'i' && FEEL_VERB.has(words[k + 1] ?? '')))) {
      questionSentence.add(sentence[i]!);
    }
    i = j;
  }
  const laughSentence = new Set<number>();
  for (const h of hits(n, LAUGH)) laughSentence.add(sentence[h.first]!);
  return {
    n,
    sentence,
    boundary,
    eduSentence,
    questionSentence,
    laughSentence,
    negPre,
    negListPre: hits(n, NEG_LIST_PRE),
    negPost: hits(n, NEG_POST),
    histPreWide: hits(n, HIST_PRE_WIDE),
    histPreNear: hits(n, HIST_PRE_NEAR),
    histPost: hits(n, HIST_POST),
    wellNowPost: hits(n, WELL_NOW_POST),
    hypoPre: hits(n, HYPO_PRE),
    hypoSent: hypoSentences(n, sentence, boundary),
    histPostMonth: hits(n, HIST_POST_MONTH),
    hypoPost: hits(n, HYPO_POST),
    figReaction: hits(n, FIG_REACTION_POST),
    nasal: hits(n, NASAL),
    nasalPost: hits(n, NASAL_POST),
    genericPre: hits(n, GENERIC_SUBJ_PRE),
    animalPre: hits(n, ANIMAL_PRE),
    figPre: hits(n, FIG_PRE),
    figPost: hits(n, FIG_POST),
    resolvedPost: hits(n, RESOLVED_POST),
    recurrence: hits(n, RECURRENCE),
  };
}

/**
 * Negation words that are part of a matched concept ("isn't feeding", "won't wake up", "can't
 * breathe") are consumed by it and do not negate the next concept ("isn't feeding and is very
 * sleepy").
 */
export function consumeTriggers(ctx: ContextIndex, spans: Hit[]): void {
  const inside = (h: Hit) => spans.some((s) => s.first <= h.first && h.last <= s.last);
  ctx.negPre = ctx.negPre.filter((h) => !inside(h));
  ctx.negListPre = ctx.negListPre.filter((h) => !inside(h));
  ctx.hypoPre = ctx.hypoPre.filter((h) => !inside(h));
  ctx.histPreWide = ctx.histPreWide.filter((h) => !inside(h));
  ctx.histPost = ctx.histPost.filter((h) => !inside(h));
  ctx.wellNowPost = ctx.wellNowPost.filter((h) => !inside(h));
  ctx.resolvedPost = ctx.resolvedPost.filter((h) => !inside(h));
}

/**
 * The text with general questions, educational or laughing sentences and opening conditional clauses
 * blanked out (same length, so offsets hold): what is left is what the writer reports.
 */
export function unscopedSentenceText(ctx: ContextIndex, text: string): string {
  const blank = new Uint8Array(ctx.n.tokens.length);
  for (let i = 0; i < blank.length; i++) {
    const s = ctx.sentence[i]!;
    if (ctx.questionSentence.has(s) || ctx.eduSentence.has(s) || ctx.laughSentence.has(s)) blank[i] = 1;
  }
  for (const h of ctx.hypoSent) for (let i = h.first; i <= h.until; i++) blank[i] = 1;
  if (!blank.some((b) => b === 1)) return text;
  const chars = text.split('');
  ctx.n.tokens.forEach((t, i) => {
    if (blank[i]) for (let k = t.start; k < t.end; k++) chars[k] = ' ';
  });
  return chars.join('');
}

const TITLE_WORD = /^\p{Lu}\p{Ll}/u;
const LOWER_WORD = /^\p{Ll}/u;
/** Words before a quotation that make it a title or a lyric rather than something said now. */
const TITLE_CUE =
  /(?:song|songs|track|tune|single|line|lines|lyric|lyrics|chorus|verse|covering|cover of|cover|singing|sang|sing|listening to|listen to|album|film|movie|book|novel|play|episode|show|series|poem|called|titled|named|favourite|favorite|fave|fav)\s*:?\s*$/i;
const OPEN_QUOTE = /["\u201c\u2018']/u;
const CLOSE_QUOTE = /["\u201d\u2019']/u;

/**
 * A finding inside a quotation that is a title or a lyric: the quotation follows a cue ("the song
 * 'Bleeding Love'", "my favourite line: 'I can't breathe'") or is credited ("'Seizure' by SZA").
 * Single Title-Case words credited with "by Name" count too ("covering Seizure by SZA"). Quoted
 * speech of someone present ("he keeps saying 'I can't breathe'") has neither, so it stays a report.
 */
function isQuotedTitle(ctx: ContextIndex, first: number, last: number): boolean {
  const input = ctx.n.input;
  if (!input) return false;
  const start = ctx.n.tokens[first]!.start;
  const end = ctx.n.tokens[last]!.end;
  const credited = (from: number) => /^\s*(?:\(?\s*)?by\s+\p{Lu}/u.test(input.slice(from, from + 30));
  // An opening quote before the mention in the same sentence, not an apostrophe inside a word.
  let open = -1;
  for (let i = start - 1; i >= Math.max(0, start - 80); i--) {
    const ch = input[i]!;
    if (/[.!?\n]/.test(ch)) break;
    if (OPEN_QUOTE.test(ch) && !/\p{L}/u.test(input[i - 1] ?? ' ') && /[\p{L}\p{N}]/u.test(input[i + 1] ?? ' ')) {
      open = i;
      break;
    }
  }
  if (open >= 0) {
    let close = -1;
    for (let i = end; i < Math.min(input.length, end + 80); i++) {
      const ch = input[i]!;
      if (CLOSE_QUOTE.test(ch) && !/\p{L}/u.test(input[i + 1] ?? ' ')) {
        close = i;
        break;
      }
    }
    if (close >= 0) return TITLE_CUE.test(input.slice(Math.max(0, open - 40), open)) || credited(close + 1);
  }
  return /^\p{Lu}/u.test(input.slice(start, end)) && first > 0 && credited(end);
}

function isTitle(ctx: ContextIndex, first: number, last: number): boolean {
  const input = ctx.n.input;
  if (!input) return false;
  const s = ctx.sentence[first]!;
  if (first === 0 || ctx.sentence[first - 1] !== s) return false;
  let words = 0;
  for (let i = first; i <= last; i++) {
    const t = ctx.n.tokens[i]!;
    if (!/^\p{L}/u.test(t.text)) continue;
    words++;
    if (!TITLE_WORD.test(input.slice(t.start, t.end))) return false;
  }
  if (words < 2) return false;
  // The rest of the sentence must be written ordinarily (mostly lower case): some people capitalise
  // every word, and then capitals say nothing.
  let lower = 0;
  let other = 0;
  for (let i = 0; i < ctx.n.tokens.length; i++) {
    if (ctx.sentence[i] !== s || (i >= first && i <= last)) continue;
    const t = ctx.n.tokens[i]!;
    if (!/^\p{L}/u.test(t.text)) continue;
    if (LOWER_WORD.test(input.slice(t.start, t.end))) lower++;
    else other++;
  }
  return lower >= 2 && lower > other;
}

function mentionText(ctx: ContextIndex, first: number, last: number): string {
  let t = '';
  for (let i = first; i <= last; i++) t += (i > first ? ' ' : '') + ctx.n.tokens[i]!.text;
  return t;
}

/** Is there a boundary of level >= minLevel strictly between token a and token b (a < b)? */
function blocked(ctx: ContextIndex, a: number, b: number, minLevel: number): boolean {
  for (let i = a + 1; i < b; i++) if (ctx.boundary[i]! >= minLevel) return true;
  return false;
}

/** A trigger ending before the mention, within `window` tokens, with no boundary >= minLevel in between. */
function preTrigger(ctx: ContextIndex, list: Hit[], first: number, window: number, minLevel: number): boolean {
  for (const h of list) {
    if (h.last >= first) continue;
    if (first - h.last > window) continue;
    if (blocked(ctx, h.last, first, minLevel)) continue;
    return true;
  }
  return false;
}

function postTrigger(ctx: ContextIndex, list: Hit[], last: number, window: number, minLevel: number, stop?: Set<string>): Hit | undefined {
  outer: for (const h of list) {
    if (h.first <= last) continue;
    if (h.first - last > window) continue;
    if (blocked(ctx, last, h.first, minLevel)) continue;
    if (stop) for (let i = last + 1; i < h.first; i++) if (stop.has(ctx.n.tokens[i]!.text)) continue outer;
    return h;
  }
  return undefined;
}

export interface MentionOptions {
  /** First-person statements are never discounted as generic text. */
  firstPerson?: boolean;
  /** Named events can be dated by "after his …" / "since my …". */
  event?: boolean;
  /**
   * The mention itself starts with a negation ("not breathing", "won't wake up"): an earlier
   * negation is a list of problems ("not moving and not breathing"), not a denial.
   */
  startsNegated?: boolean;
  /**
   * An exposure whose harm comes later (an overdose, a poisoning): "I feel fine now" neither dates
   * it nor settles it (NHS "Paracetamol for adults": go to A&E even if you feel well).
   */
  exposure?: boolean;
}

export function mentionStatus(ctx: ContextIndex, first: number, last: number, opts: MentionOptions = {}): MentionStatus {
  // Figurative: a trigger right next to the mention.
  if (preTrigger(ctx, ctx.figPre, first, 3, 1) || postTrigger(ctx, ctx.figPost, last, 2, 1)) return 'figurative';
  if (ctx.figReaction.length && postTrigger(ctx, ctx.figReaction, last, 3, 2) && EVENT_IDIOM.test(mentionText(ctx, first, last))) return 'figurative';
  const mtext = mentionText(ctx, first, last);
  for (const idiom of IDIOMS) {
    if (!idiom.mention.test(mtext)) continue;
    if (idiom.post && idiom.post.test(ctx.n.canonical.slice(ctx.n.tokens[last]!.cend + 1, ctx.n.tokens[last]!.cend + 60))) return 'figurative';
    if (idiom.pre && idiom.pre.test(ctx.n.canonical.slice(Math.max(0, ctx.n.tokens[first]!.cstart - 40), ctx.n.tokens[first]!.cstart))) return 'figurative';
  }
  if (ctx.nasal.length || ctx.nasalPost.length) {
    if (/^breath/.test(ctx.n.tokens[last]!.text) || /\bbreath/.test(mentionText(ctx, first, last))) {
      if (postTrigger(ctx, ctx.nasalPost, last, 1, 1)) return 'generic';
      if (ctx.nasal.some((h) => Math.abs(h.first - first) <= 8 && !blocked(ctx, Math.min(h.last, last), Math.max(h.first, first), 3))) return 'generic';
    }
  }
  if (ctx.laughSentence.has(ctx.sentence[first]!)) return 'figurative';
  // A title: a finding of two or more words written in Title Case in the middle of an ordinarily
  // written sentence ("singing Heart Attack by Demi Lovato", "Every Breath You Take") names a song,
  // a film or a book, not the writer's state.
  if (last > first && isTitle(ctx, first, last)) return 'generic';
  if (isQuotedTitle(ctx, first, last)) return 'generic';
  if (!opts.firstPerson) {
    if (ctx.eduSentence.has(ctx.sentence[first]!)) return 'generic';
    if (ctx.questionSentence.has(ctx.sentence[first]!)) return 'hypothetical';
    if (preTrigger(ctx, ctx.genericPre, first, 8, 1)) return 'generic';
  }
  if (preTrigger(ctx, ctx.animalPre, first, 4, 1)) return 'generic';
  if (preTrigger(ctx, ctx.hypoPre, first, 15, 1)) return 'hypothetical';
  if (ctx.hypoSent.some((h) => h.first < first && last <= h.until)) return 'hypothetical';
  if (postTrigger(ctx, ctx.hypoPost, last, 8, 2)) return 'hypothetical';
  if (!opts.startsNegated) {
    if (preTrigger(ctx, ctx.negPre, first, 6, 1)) return 'negated';
    if (preTrigger(ctx, ctx.negListPre, first, 10, 2)) return 'negated';
  }
  if (postTrigger(ctx, ctx.negPost, last, 4, 1)) return 'negated';
  if (preTrigger(ctx, ctx.histPreWide, first, 10, 1)) return 'historical';
  if (opts.event && preTrigger(ctx, ctx.histPreNear, first, 2, 1)) return 'historical';
  if (postTrigger(ctx, ctx.histPost, last, 12, 2, HIST_STOP)) return 'historical';
  if (!opts.exposure && postTrigger(ctx, ctx.wellNowPost, last, 12, 2, HIST_STOP)) return 'historical';
  if (postTrigger(ctx, ctx.histPostMonth, last, 4, 1, HIST_STOP)) return 'historical';
  const res = opts.exposure ? undefined : postTrigger(ctx, ctx.resolvedPost, last, 15, 3);
  if (res) {
    const back = ctx.recurrence.some((h) => h.first > res.last && ctx.sentence[h.first] === ctx.sentence[res.last]);
    if (!back) return 'resolved';
  }
  return 'affirmed';
}
