/**
 * Intent classification (docs/ASSISTANTS.md "Intents"): a linear score over hand-written
 * features — each a pattern on the normalised, spell-corrected message with a weight. The
 * intent with the highest score wins if it reaches THRESHOLD; otherwise the message is out of
 * scope and gets a helpful reply with suggestions, never an action. Weights are chosen by hand
 * (no training data): 3 = a phrase that names the task on its own ("reschedule",
 * "prescribe"), 2 = a strong object word ("appointment", "prescription"), 1 = supporting
 * words; negative weights for words that point elsewhere. Out-of-scope cues (weather, jokes,
 * coding…) subtract from every intent.
 */
export type PatientIntent =
  | 'book_appointment'
  | 'view_appointments'
  | 'cancel_appointment'
  | 'reschedule_appointment'
  | 'find_doctor'
  | 'view_prescriptions'
  | 'view_reports'
  | 'view_records'
  | 'lab_question'
  | 'emergency'
  | 'greeting'
  | 'help';
export type DoctorIntent =
  'view_schedule' | 'list_patients' | 'patient_history' | 'add_prescription' | 'add_diagnosis' | 'set_availability' | 'urgent_patients' | 'greeting' | 'help';
export type AssistantRole = 'patient' | 'doctor';
export const OUT_OF_SCOPE = 'out_of_scope' as const;
export type Intent = PatientIntent | DoctorIntent | typeof OUT_OF_SCOPE;

type Feature = [RegExp, number];

const APPT =
  '(?:appointments?|appt|appts|apt|apts|apointments?|visits?|consultations?|consults?|bookings?|reservations?|checkups?|check ups?|sessions?|slots?|meetings?)';
const DOCTOR_WORD =
  '(?:doctors?|drs?|docs?|physicians?|specialists?|practitioners?|gps?|consultants?|clinicians?|[a-z]+ologists?|pediatricians?|paediatricians?|dermatologists?|surgeons?|therapists?|psychiatrists?|dentists?|internists?|orthopedists?)';
const SHOW = '(?:show|view|see|list|display|check|get|give|tell|what|whats|which|when|where|do i have|have i got|any|pull up|look up|bring up|read)';

/** Words of the out-of-scope cues: the spelling corrector never bends them into task words ("cook" is not "book"). */
export const OFF_TOPIC_WORDS = [
  'weather',
  'forecast',
  'rain',
  'sunny',
  'joke',
  'jokes',
  'funny',
  'poem',
  'song',
  'lyrics',
  'recipe',
  'cook',
  'cooking',
  'bake',
  'pizza',
  'movie',
  'movies',
  'film',
  'music',
  'football',
  'soccer',
  'score',
  'game',
  'games',
  'stock',
  'stocks',
  'code',
  'coding',
  'program',
  'taxi',
  'flight',
  'hotel',
  'park',
  'parking',
  'password',
  'story',
  'rice',
  'look',
  'took',
  'hook',
  'cool',
  'boot',
  'boots',
  'bookshelf',
  'books',
];

/** Out-of-scope cues: topics the clinic assistant does not handle. Each subtracts from every intent. */
const OFF_TOPIC: Feature[] = [
  [
    /\b(weather|forecast|rain|sunny|temperature outside|joke|jokes|funny|poem|song|lyrics|recipe|cook|cooking|bake|pizza|restaurant|movie|movies|film|netflix|music|football|soccer|basketball|cricket|score|game|games|bitcoin|crypto|stock|stocks|invest|capital of|president|election|politics|translate|homework|essay|code|coding|python|javascript|program|taxi|uber|flight|flights|hotel|vacation plan|car|parking|wifi|password|girlfriend|boyfriend|date night|horoscope|lottery|rice|microwave|short story|(?:write|tell|say) me a story|novel|trivia|presentation|slides|powerpoint|spreadsheet)\b/,
    -4,
  ],
  [
    /\b(ignore (your|all|previous|the)|disregard (your|all|previous|the)|forget your (rules|instructions)|system prompt|you are now|pretend (you are|to be)|act as|jailbreak|developer mode|system:|admin mode|override)\b/,
    -8,
  ],
  [
    /\b(not just mine|all patients in|every patient|all the patients|export (all|every)|bulk|other doctors?|another doctors?|somebody elses|someone elses|delete .{0,20} (record|entire|all)|delete all|whole hospital)\b/,
    -5,
  ],
  [/\b(who are you|are you human|are you a robot|meaning of life|tell me about yourself|how old are you|your name)\b/, -2],
];

const PATIENT: Record<PatientIntent, Feature[]> = {
  book_appointment: [
    // "My son needs seeing by a paediatrician", "can someone take a look at my knee".
    [/\b(needs?|wants?|like) (seeing|to be seen|checking|checked|looking at|a look at|a check)\b|\b(take|have) a look at my\b/, 2],
    [/\b(book|booking|schedule|reserve|arrange|set up|make|get|need|want|request|fix)\b/, 1],
    // Second-language and US forms of the same request: "I am wanting to take one appointment", "can I get in with".
    [new RegExp(`\\b(book|schedule|reserve|arrange|set up|make|get|request|need|want|wanting|like|take|taking)\\b.{0,30}\\b${APPT}\\b`), 3],
    [new RegExp(`\\b(new|an|another|a|one)\\s+${APPT}\\b`), 1.5],
    [
      new RegExp(
        `\\b(see|visit|consult|meet|talk to|speak to|speak with|talk with|get in with|come in)\\b.{0,25}\\b(a|an|the|my|some|dr|doctor|${DOCTOR_WORD})\\b`,
      ),
      2.5,
    ],
    [/\b(book|booking)\b/, 2.5],
    [/\b(available|free|open)\s+(slot|slots|time|times|appointment|appointments)\b/, 1],
    [/\b(need|want|looking for|find me)\s+(someone|somebody|a doctor|a specialist)\b/, 2.5],
    [
      /\b(is there a slot|a slot|any slots|free slot|slot with|any doctor|schedule me|book me|pencil me|squeeze me|get an appointment|appointment please|appt please|see the (doc|doctor|gp))\b/,
      2.5,
    ],
    [/\b(shift|bump|push|swap|moved?|instead|different time|other day|postpone|kill|dont want|not come|no more|anymore)\b/, -2.5],
    [/\b(have i got|do i have|did i book|have i booked|am i seeing|im seeing|when is my|whens my|what time is my)\b/, -2.5],
    [/\b(can i come in|fit me in|squeeze me in|get seen|be seen|see someone|see somebody|earliest|soonest|asap)\b/, 2],
    [/\b(cancel|reschedule|move|change|postpone|prescription|medication|report|results)\b/, -2],
    [/\b(my|upcoming|next)\s+appointments?\b.{0,10}\b(are|is)\b/, -1],
    // "see the letter / my results" is reading, not a visit.
    [/\b(see|read|view)\s+(the|my|that|this)\s+(letter|reports?|results?|notes?|records?|prescriptions?|scan|file|diagnos[ie]s|history|chart|summary)\b/, -3],
  ],
  view_appointments: [
    [new RegExp(`\\b${SHOW}\\b.{0,30}\\b${APPT}\\b`), 2],
    [new RegExp(`\\b(my|upcoming|next|scheduled|booked|future|past|previous|coming)\\s+${APPT}\\b`), 2],
    [
      /\b(have i got|have i|do i have|did i book|what did i book|have i booked|am i seeing|im seeing|i am seeing|when s my|whens my|when is my|time of my|what time|lined up|got owt|anything booked|owt booked|reservations?|follow up booked|next one with|left this month|today or tomorrow)\b/,
      2.5,
    ],
    [/\b(did|have) i (book|booked|make|made|arrange|arranged|schedule|scheduled)\b/, 3],
    // What is coming: "remind me what I've got coming up", "anything coming up for me".
    [/\b(what|anything|whatever) (ive|i ve|i have|i|is|have i)? ?(got )?(coming up|lined up|in the diary)\b/, 4],
    [/\bwhen (do|will|am) i (next )?(see|seeing)\b/, 1.5],
    [/\bwhen is my\b|\bwhen am i\b|\bwhen do i (see|have)\b|\bam i booked\b|\bwhat time is my\b|\bdo i have (an|any)\b/, 2.5],
    // Indirect questions: "can you look if I have an appointment", "check whether I'm booked".
    [/\b(look|check|see|tell me|find out|confirm)\b.{0,15}\b(if|whether)\b.{0,10}\b(i have|i ve got|i got|im booked|i am booked|there is)\b/, 2.5],
    [/\b(book|booking|new|cancel|reschedule|move|change|postpone|call off)\b/, -2.5],
    // A wish points to a new booking; a negated one ("I don't want to clash with …") does not.
    [/\b(?<!dont |do not |didnt )(need|want|like)\s+(an?|to)\b/, -1.5],
  ],
  cancel_appointment: [
    [
      /\b(cancel|cancell?ing|cancellation|call off|scrap|drop|delete|remove|wont make|cant make|cannot make|not coming|wont be coming|cant come|cannot come|(wont|cant|cannot|not) be able to (come|make it|attend|go)|unable to (come|make it|attend)|not going to make|not come|kill my|(dont want|dont need|no longer need)(?! to\b)|anymore|no more)\b/,
      5,
    ],
    [new RegExp(`\\b${APPT}\\b`), 1],
    [/\b(reschedule|move|instead|another (day|time)|different (day|time)|new time|later date)\b/, -2.5],
    [/\bprescription|medication\b/, -2],
  ],
  reschedule_appointment: [
    [/\bmoved (here|to this|house|area|to the area|country)\b|\bjust moved\b/, -4],
    // Moving home, town or job is not moving an appointment ("I'm moving to a new city next month").
    [
      /\b(moving|move|moved|relocating) (to (a |the )?(new |another |different )?(city|town|house|flat|area|country|state|place|home|job|practice|school)|house|abroad|away|home)\b/,
      -4,
    ],
    [
      /\b(reschedule|rescheduling|re schedule|rebook|re book|rearrange|re arrange|reorganise|reorganize|postpone|push back|bring forward|move|moving|moved|shift|swap|bump|push|change the (date|time|day)|change day|change my|change the time|make my appointment to|to the (morning|afternoon|evening)|later pls|later please)\b/,
      4.5,
    ],
    [/\b(another|different|new|later|earlier|other)\s+(day|time|date|slot)\b/, 2],
    [/\b(come|go|see (you|them|the doctor)) (in )?(a bit |a little |an hour |a day )?(earlier|later|sooner)\b/, 3],
    // "can we do 3 instead", "evening instead of morning", "cant do 10": a change of time for a booking that exists.
    [/\b(can|could) we do\b.{0,30}\binstead\b|\binstead of\b|\b(cant|cannot|can not) do\b/, 3],
    [new RegExp(`\\b${APPT}\\b`), 1],
    [/\b(instead)\b/, 1],
  ],
  find_doctor: [
    [new RegExp(`\\b(find|search|look for|looking for|recommend|suggest|list|show|which|who|any|is there|are there|know)\\b.{0,30}\\b${DOCTOR_WORD}\\b`), 3],
    [new RegExp(`\\b${DOCTOR_WORD}\\b`), 0.5],
    [/\b(who is|who are|tell me about|information about|info about|profile of|details of|about dr)\b/, 1],
    [
      /\bwho (can|should|could|do) i (see|talk to|speak to) (about|for)\b|\bwhat (specialists|specialities|specialties|doctors|kinds? of doctors?|types? of doctors?) (do you have|are there|work here|are available|have you got)\b/,
      3.5,
    ],
    [/\b(speaks?|languages?|fees?|cost|qualifications?|experience|specialt(y|ies)|available doctors)\b/, 1.5],
    [
      /\b(who do i see|whos the|who is the|who s the|the best|any recs|recommend|got any|have you (a )?doctor|do you have (a|any)|is there (a|any)|someone for|a doctor who|doctor for|doc for|specialist for|knows about|on this app|on here)\b/,
      2,
    ],
    [/\b(book|booking|appointment|appointments|appt|schedule|cancel|reschedule|slot|slots)\b/, -2],
    [/\b(reports?|results?|letter|prescriptions?|medicines?|medications?|meds|tablets?|pills?|notes|records?|diagnos[ie]s)\b/, -2.5],
    [/\b(who do i see|who should i see|a doctor who|doctor that|who knows about|which doctor (is|does|looks|treats|deals))\b/, 3],
    // Asking whether the clinic has one: "whether you have some kind of brain or nerve specialist".
    [new RegExp(`\\b(you|u|ya) (have|got|has)\\b.{0,35}\\b${DOCTOR_WORD}\\b`), 2.5],
  ],
  view_prescriptions: [
    [/\b(repeat prescriptions?|repeats|repeat meds|on repeat)\b/, 1.5],
    // A question about what was prescribed ("what did the doctor prescribe me") reads a prescription.
    [/\b(what|which)\b.{0,30}\b(did|has|have)\b.{0,30}\bprescribe me\b/, 3],
    [
      /\b(prescriptions?|prescribed|medications?|medicines?|meds|drugs|pills|tablets?|refills?|dosage|doses|dose|scripts?|rx|rxs|inhaler|cream|antibiotics|on repeat|course|meant to be taking|how many times a day do i take|run out)\b/,
      3,
    ],
    [/\bwhat (am i|should i be) taking\b|\bmy (current )?treatment\b/, 2.5],
    [new RegExp(`\\b${SHOW}\\b`), 0.5],
  ],
  view_reports: [
    [
      /\b(lab|labs|laboratory|test|tests|blood ?work|blood tests?|results?|reports?|bloods|panel|scan results|scan|letter|pathology|x ray|xray|mri|ultrasound|biopsy|news on my)\b/,
      2.5,
    ],
    [new RegExp(`\\b${SHOW}\\b`), 0.5],
    [/\b(mean|means|meaning|high|low|normal|abnormal|flagged|why|explain|changed|trend|went up|went down|too high|too low|ok|okay|worried)\b/, -1],
  ],
  view_records: [
    [
      /\b(medical (records?|history|file|notes|paper|papers)|health (records?|history|file)|records?|my history|my file|my chart|diagnos[ie]s|dx|hx|my (past |previous |medical )?conditions|problem list|consultation notes|visit notes|doctors? notes|clinical notes|notes from|my notes|medical file|whole file|jabs|vaccines?|vaccinations?|immuni[sz]ations?|family history|allergic|allergies|wrote about me|written about me|write in my|wrote in my|(write|wrote|say|said|put) about me|what was (written|noted|recorded)|what (the doctor|the dr|they|he|she) (wrote|noted|recorded)|(the |my )?(doctor|dr|gp|nurse)s? (wrote|noted|recorded|has written|had written|made for me))\b/,
      3,
    ],
    [new RegExp(`\\b${SHOW}\\b`), 0.5],
    [/\b(lab|test|blood|prescription|medication)\b/, -1],
  ],
  lab_question: [
    // "Show me my cholesterol results" asks for the report, not what a value means.
    [/^(please )?(show|i want (to )?(see|read)|i want read|can i see|let me see|get me|pull up)\b/, -2],
    [
      /\b(mean|means|meaning|explain|why|is it bad|is that bad|should i worry|worried|concerned|normal range|reference range|too high|too low|high|low|elevated|raised|flagged|abnormal|changed|trend|went up|went down|improved|worse|better|compared|borderline|is that|is it|what is a normal|what does it mean|measure)\b/,
      1.5,
    ],
    [
      /\b(blood sugar|sugar|iron|white cells|white cell|red cells|protein|blood pressure|bp|egfr|kidney|liver|thyroid|uric acid|troponin|cholesterol|vitamin|potassium|sodium|ferritin|platelets|hba1c|a1c|psa|tsh|inr|crp|esr|urine)\b/,
      2,
    ],
    // A value stated ("my white cells are 11.5", "sugar was 7.2"): a question about a number.
    [/\b(is|are|was|were|of|at)\s+\d+(\.\d+)?\b(?!\s*(am|pm|oclock|o clock|days?|weeks?))/, 1.5],
    // Analyte words are added at start-up from the reports module's built-in list (see ANALYTE_FEATURE).
  ],
  emergency: [[/\b(emergency|ambulance|911|999|112|urgent help|call for help|dying|help me now)\b/, 3]],
  greeting: [
    [
      /^(hi+|hello+|hallo|helo|hey+|hiya|howdy|yo|sup|wassup|wasup|whats up|alright|aight|morning|evening|afternoon|good (morning|afternoon|evening|day)|greetings|hola|bonjour|salut|namaste|salaam|salam|assalamu|ciao|gday|good to see you)\b/,
      3,
    ],
    [/\b(thanks|thank you|thx|cheers|appreciate it|bye|goodbye|see you|have a nice day|how are you|whats up|good night)\b/, 2.5],
  ],
  help: [
    [
      /\b(help|what can you do|what can i do( here| with (this|you))?|what do you do|what you can do|how does this work|how do i use|how i use|how i can use|how can i use|options|menu|commands|features|functions|what can i ask|what i can ask|what do i ask|what questions|what are you able|how can you help|capabilities|guide me|instructions|i am lost|im lost|confused|what is this (assistant|bot|chat|thing)|whats this (bot|thing|assistant|chat)|this (bot|thing|assistant) (for|good for)|good for|idk what|dont know (what|where|how)|dont understand|where to start|teach me|how do i (work|drive|use) this|what now|what do i type|stuck|what else can you|remind me what|tell me what i can|explain (me )?what|what should i do in this app|in this app)\b/,
      3.5,
    ],
    [/\bhow (do|can|should) i\b.{0,40}\b(with you|using you|in this app|here|this assistant|the assistant)\b/, 6],
    // "how dose this work" ("dose" typed for "does"), "what am I supposed to type", "cmds?".
    [
      /\bhow (does|dose|dos|do) (this|it|that|the (app|chat|bot|assistant|thing)) work\b|\bwhat (am i|are we) (supposed|meant|expected) to (type|say|write|ask|do)\b|\bwhat (do|should|can) i (type|say|write|put)\b|^(cmds?|commands?|opts|options)\b/,
      4.5,
    ],
    [/\b(ask u|ask you|this bot|the bot|deal with this)\b/, 2],
  ],
};

const DOCTOR: Record<DoctorIntent, Feature[]> = {
  view_schedule: [
    [/\b(schedule|agenda|calendar|diary|rota|timetable|appointments?|appts?|clinic list|bookings?|consultations?)\b/, 2],
    [/\b(today|todays|tomorrow|tomorrows|this (morning|afternoon|week)|next|on (monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b/, 0.5],
    [
      /\bwho (am i|do i) (seeing|see|have)\b|\bwhat do i have\b|\bam i busy\b|\bhow many (appointments|patients) (do i have|today)\b|\bfirst patient\b|\bnext patient\b/,
      2.5,
    ],
    [
      /\b(who have i got|whove i got|who ive got|which patients i have|patients i have (today|tomorrow|this)|have i got (today|tomorrow)|on the books today|lineup|line up|slammed|look like|how (much|many) patients (today|tomorrow|on)|whos up next|who is next|up next|when am i seeing|cancelled today|what time is|seeing today|clinic today)\b/,
      3,
    ],
    [/\b(busy|free|available|full|packed|booked up|quiet|chocka|anything on|blocked)\b/, 1],
    // The diary asked about in everyday words: "what have I got on this afternoon", "how's my day looking", "any gaps in my clinic".
    [
      /\b(how many (am i|do i|will i) (seeing|see|have)|^(show|give) me (today|tomorrow|next|this|on|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|what (have|ve|do) i (got|have)( on)?|what i got|whats on|whats my (day|clinic|list|diary|schedule) like|(todays|tomorrows|mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|afternoon|morning|days) (list|clinic)|(run|go|take me) through|booked in with me|coming in (today|tomorrow|to see me)|do i have (anyone|anybody|someone|patients)|hows my (day|week|morning|afternoon|clinic|list)|how is my (day|week|morning|afternoon|clinic|list)|my (day|week|morning|afternoon|clinic) look(s|ing)?|gaps? in my|holes? in my)\b/,
      2.5,
    ],
    [/\b(block|unavailable|off|free up|add availability|open slots|add slots)\b/, -2],
    [/\b(prescribe|diagnos|history|urgent|critical)\b/, -1.5],
    // Who comes on a day is the diary, not the roster: "which patients are coming to me on Thursday".
    [/\b(patients?|people|who|anyone|anybody|pts)\b.{0,20}\b(coming (in|to me|to see me)|booked (in|with me)|seeing me)\b/, 3],
  ],
  list_patients: [
    [
      /\b(my patients|patient list|list (of )?(my )?patients|all (my )?patients|patients (list|roster|panel)|whom? (do i|am i) (treat|treating|look after|care for)|caseload|case load|panel|under my care|on my books|roster|my list|everyone i look after|search for patient|patient called|patient named|patients? with name|search patient|new patients|whole crew|how many patients do i have|patients i share|look after|registered (with|to) me|assigned to me|my registered|my (list of )?(pts|patients)|(people|ones|folks) i (treat|see|look after|care for))\b/,
      3.5,
    ],
    [/\b(list|show|all|how many)\b.{0,20}\bpatients\b/, 2],
    // The people a doctor is responsible for, said as a clause ("the patients I am treating currently"), or the whole list.
    [
      /\b(patients|people|ones|folks|pts)\b (that |who |whom )?(i|we) (am |m |are |re )?(treat|treating|look after|looking after|care for|caring for|responsible for|follow|following|manage|managing)\b/,
      3.5,
    ],
    [/\b(full|whole|complete|entire) list\b|\boverview of (my )?(patients|pts|people|caseload)\b/, 1.5],
    [/\b(urgent|critical|flagged|abnormal|emergency)\b/, -2.5],
    [/\b(today|tomorrow|seeing)\b/, -1],
  ],
  patient_history: [
    [
      /\b(history|medical history|chart|records?|file|notes|background|summary|past (visits|diagnoses|prescriptions|illness|surgeries)|previous (visits|diagnoses|notes)|what do we know about|tell me about|pull up|bring up|look up|labs? (for|of)|results (for|of)|meds (for|of)|medications (for|of)|what meds|what medicine|blood results|last results|diagnoses of|allergic|allergies|lowdown|rundown|story|been in for|problem list|surgeries|diagnosed with last|what was .{0,20} diagnosed|note about)\b/,
      2.5,
    ],
    // A named patient's past: "has X had any bloods", "last visit for X", "what I saw X for last time".
    [
      /\b(last (visit|appointment|consult|seen)|when (was|did) .{0,25} (last|seen)|what (i|we) (saw|seen) .{0,25} (for|about)|(saw|seen) .{0,25} (for|about) last)\b/,
      2.5,
    ],
    [
      /\b(bloods?|any (tests|labs|scans|results|imaging)|last time|recently|admissions?|admitted|operations?|before i see|should know about|previous|background)\b/,
      1.5,
    ],
    [/\b(show|view|open|get|check|review)\b/, 0.5],
    [/\b(prescribe|diagnose|block|schedule)\b/, -1.5],
    [/\b(record|log|document|note|save) (it|this|that)\b/, -2],
  ],
  add_prescription: [
    [
      /\b(prescribe|prescribing|prescription for|write (a |an )?(prescription|script|rx)|new prescription|add (a )?prescription|rx|script for|start (him|her|them|the patient)? ?on|put (him|her|them|the patient) on)\b/,
      3.5,
    ],
    [/^(stick|start|put|give|chuck|bung|pop)\b|\b(needs a (week|course|month)|needs some)\b/, 1.5],
    [/\b\d+(\.\d+)?\s*(mg|mcg|g|ml|units?)\b/, 1],
    [/\b(tds|tid|bd|bid|qds|qid|od|prn|twice a day|three times a day|once daily|every \d+ hours)\b/, 1],
    [/\b(history|records)\b/, -1],
  ],
  add_diagnosis: [
    [
      /\b(diagnose|diagnosis|dx|add (a )?(note|diagnosis)|write (a )?note|clinical note|progress note|record (that|a|the)|document|assessment|impression|note that|note for|note to|put down|log that|jot down|chalk up|put in (his|her|their|the) (record|notes|chart)|on .{0,30} notes|write in (the )?notes|add that|add note|update .{0,30} diagnosis|has been diagnosed)\b/,
      4.5,
    ],
    [/\b(put|write|add|record|enter|pop)( it| this)? (in|into|on|to) .{0,30}\b(notes|record|records|chart|file)\b/, 4.5],
    [/\b(record|log|document|note|save|add) (it|this|that)\b|\bwrite up\b/, 3.5],
    // Dictation: "jot that down", "write it down in his record", a message that opens with "note …" / "dx …".
    [/\b(jot|write|put|note|take) (it|this|that|these|them) down\b|^(note|dx|impression|assessment)\b/, 4.5],
    [/^(what|when|show|did|which|has|is)\b/, -2],
    [/\b(has|with|suffering from)\b/, 0.3],
    [/\b(show|view|history)\b/, -1],
  ],
  set_availability: [
    [
      /\b(block|blocking|block out|block off|unavailable|not available|busy|day off|time off|off on|leave|away|out of office|holiday|close my calendar|close my slots|not working|off the rota|make me free|no patients|off sick|clear my diary|clear my|extra clinic|change my availability|shut my diary|free me up|my slots|conference)\b/,
      4,
    ],
    [/\b(add|open|create|set|make)\b.{0,20}\b(availability|available|slots?|hours|clinic time|sessions?)\b/, 3.5],
    [/\b(need|want|take|taking|have|having|book|booking) .{0,25}\boff\b|\boff (the|my) (schedule|diary|rota|books|calendar|list)\b/, 4],
    [/\b(open up|open (my )?(diary|calendar|schedule|clinic))\b|\b(open|add|release|put out)\b.{0,25}\bfor (appointments|bookings|patients)\b/, 4],
    [/\b(available|availability|free)\b/, 1],
    // Keeping patients from booking is blocking: "make sure nobody gets booked with me after 4".
    [/\b(nobody|no one|noone|no patients?|no bookings?)\b.{0,20}\b(book|books|booked|booking|bookings|in with me|with me|scheduled)\b/, 4],
    [/\b(patient|prescribe)\b/, -1],
  ],
  urgent_patients: [
    [
      /\b(urgent|urgently|critical|emergency|emergencies|flagged|flags|red flags?|abnormal|alarming|at risk|high risk|need attention|needs attention|attention|overdue|priority|deteriorating|escalat|kicking off|bad results|in trouble|out of range|fires|fast help|danger|reported chest pain|very high|high (potassium|inr|results)|worrying|concerning|sick patients|unwell|worry about|worried about|keep an eye on|concerned about|need to check on|crisis|poorly|in a bad way|bad bloods|struggling|needs a call|need a call|flag up)\b/,
      3.5,
    ],
    // Follow-ups that are due or missed ("who is overdue for follow-up", "which patients need following up",
    // "who missed their review"); "follow up in 2 weeks" in a note being dictated is not one.
    [
      /\b(overdue|missed|missing|lapsed|late|due|need|needs|needing|behind)\b[^.?]{0,30}\b(follow(ing)?[ -]?ups?|f\/u|recalls?|reviews?)\b|\b(follow(ing)?[ -]?ups?|f\/u|recalls?|reviews?)\b[^.?]{0,20}\b(overdue|missed|lapsed|late|due)\b|\b(haven'?t|have not|not) (been )?seen\b[^.?]{0,30}\b(since|for|in)\b/,
      4,
    ],
    [/\bpatients?\b/, 0.5],
  ],
  greeting: PATIENT.greeting,
  // "How do I prescribe with this?" asks how, it does not prescribe (eval README: a doctor asking how to prescribe is help).
  help: [
    ...PATIENT.help,
    [/\bhow does \w+ work\b|\bwhat can (this|the) (assistant|bot|thing|app|tool) do\b/, 4],
    [/^(how|where) (do|can|should|would) i (go about |actually )?(prescrib|add|write|block|record|use|make|enter|document|find|see|change|open)\w*\b/, 5],
  ],
};

/** Analyte words (from the reports module's list) make a patient's question a lab question. */
export function addAnalyteFeature(words: string[]): void {
  const alternatives = [
    ...new Set(
      words
        .map((w) =>
          w
            .toLowerCase()
            .replace(/[^a-z0-9 ]+/g, ' ')
            .trim(),
        )
        .filter((w) => w.length >= 2),
    ),
  ]
    .sort((a, b) => b.length - a.length)
    .map((w) => w.replace(/\s+/g, '\\s+'));
  if (!alternatives.length) return;
  PATIENT.lab_question.push([new RegExp(`\\b(${alternatives.join('|')})\\b`), 2.5]);
  PATIENT.view_reports.push([new RegExp(`\\b(${alternatives.join('|')})\\b`), 0.5]);
}

/** Minimum winning score: below it the message is out of scope. */
export const THRESHOLD = 2;

export interface IntentScore {
  intent: Intent;
  score: number;
  scores: Record<string, number>;
  /** A cue of prompt injection or of a request the role may not make was seen: no model may reinterpret the message. */
  blocked: boolean;
}

/** Facts found by the entity extractors, used as features too (weights documented in docs/ASSISTANTS.md). */
export interface Flags {
  specialty?: boolean;
  drug?: boolean;
  dose?: boolean;
  analyte?: boolean;
  /** A person the caller may name was matched (doctor: one of their patients). */
  person?: boolean;
  /** A patient names someone else's data ("Show me John Roe's records"). */
  otherPerson?: boolean;
  date?: boolean;
  /** Patient: one of the clinic's doctors is named ("tell me about Dr Dermis"). */
  doctorNamed?: boolean;
  /** A date that is today or later (a diary is about what is coming; "last night" is not). */
  upcoming?: boolean;
  /** Put as a question, not as a polite request ("Is Friday busy?"): asks about data, never commands a change. */
  question?: boolean;
}

const FLAG_WEIGHTS: Record<AssistantRole, Partial<Record<keyof Flags, Partial<Record<string, number>>>>> = {
  patient: {
    specialty: { book_appointment: 1, find_doctor: 1 },
    doctorNamed: { find_doctor: 1, book_appointment: 0.5 },
    date: { book_appointment: 1, view_appointments: 0.5 },
    drug: { view_prescriptions: 2.5 },
    analyte: { lab_question: 0.5 },
  },
  doctor: {
    // A patient of theirs named with no task word is most often a look at that patient ("Tom Baker - any admissions?").
    person: { patient_history: 2, add_prescription: 0.5, add_diagnosis: 0.5 },
    // A day or time with nothing else is most often the diary ("appointments for Wednesday?", "anyone at 4pm").
    upcoming: { view_schedule: 1, set_availability: 0.5 },
    drug: { add_prescription: 2.5 },
    dose: { add_prescription: 1 },
    analyte: { urgent_patients: 1 },
    // "Is Friday busy?", "am I free Tuesday?" ask about the diary (review M4); "can you block Friday?" is a request form, not counted.
    question: { set_availability: -4, view_schedule: 1 },
  },
};

/** Things a patient may not ask the assistant to do (they are out of scope, whatever else the text says). */
const PATIENT_FORBIDDEN =
  /\b(give me (some |a course of |more )?(antibiotics|painkillers|sleeping pills|pills|meds|medication|drugs|morphine|opioids)|(?<!did (the |my |that |a )?(doctor|dr|doc|gp|you|he|she|they) )prescribe me|increase my|decrease my|double my|change my dose|up my dose|write (me )?a diagnosis|diagnose me|add a diagnosis|give me (a )?prescription for|(change|switch|swap|increase|decrease|lower|raise|adjust|halve) (my|the) ([a-z]+ ){0,3}(pills?|tablets?|meds|medications?|medicines?|doses?|dosage|insulin|inhaler)\b(?! (refill|pick ?up|delivery|pharmacy)))\b/;

/** A doctor asking for a named colleague's patients or diary ("show Dr Cardio's patients"): not theirs to read or change. */
const DOCTOR_FORBIDDEN =
  /\b(dr|doctor|doc) [a-z]+ (patients|pts|patient list|caseload|diary|schedule|clinic list|appointments|rota)\b|\b(patients|pts|caseload|diary|schedule|appointments|rota) of (dr|doctor|doc) [a-z]+\b/;

export function classify(text: string, role: AssistantRole, flags: Flags = {}): IntentScore {
  const table: Record<string, Feature[]> = role === 'patient' ? PATIENT : DOCTOR;
  let penalty = 0;
  for (const [re, w] of OFF_TOPIC) if (re.test(text)) penalty += w;
  if (role === 'doctor' && DOCTOR_FORBIDDEN.test(text)) penalty -= 5;
  if (role === 'patient' && (flags.otherPerson || PATIENT_FORBIDDEN.test(text))) penalty -= 8;
  const scores: Record<string, number> = {};
  let best: string = OUT_OF_SCOPE;
  let bestScore = -Infinity;
  for (const [intent, features] of Object.entries(table)) {
    let s = penalty;
    for (const [re, w] of features) if (re.test(text)) s += w;
    for (const [flag, weights] of Object.entries(FLAG_WEIGHTS[role])) if (flags[flag as keyof Flags]) s += weights[intent] ?? 0;
    scores[intent] = s;
    if (s > bestScore) {
      bestScore = s;
      best = intent;
    }
  }
  const blocked = penalty <= -5;
  if (bestScore < THRESHOLD) return { intent: OUT_OF_SCOPE, score: bestScore, scores, blocked };
  return { intent: best as Intent, score: bestScore, scores, blocked };
}

/** Every word the features look for: the spelling corrector's vocabulary. */
export const INTENT_VOCABULARY: string[] = [
  'appointment',
  'appointments',
  'book',
  'booking',
  'schedule',
  'reschedule',
  'cancel',
  'cancellation',
  'postpone',
  'prescription',
  'prescriptions',
  'medication',
  'medications',
  'medicine',
  'medicines',
  'report',
  'reports',
  'results',
  'records',
  'record',
  'history',
  'doctor',
  'doctors',
  'specialist',
  'specialists',
  'dermatologist',
  'cardiologist',
  'pediatrician',
  'neurologist',
  'psychiatrist',
  'gynecologist',
  'orthopedic',
  'urologist',
  'oncologist',
  'gastroenterologist',
  'endocrinologist',
  'pulmonologist',
  'ophthalmologist',
  'available',
  'availability',
  'tomorrow',
  'today',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'morning',
  'afternoon',
  'evening',
  'next',
  'week',
  'upcoming',
  'consultation',
  'checkup',
  'visit',
  'patients',
  'patient',
  'prescribe',
  'diagnosis',
  'diagnose',
  'urgent',
  'critical',
  'emergency',
  'flagged',
  'abnormal',
  'block',
  'unavailable',
  'calendar',
  'agenda',
  'hello',
  'thanks',
  'help',
  'please',
  'show',
  'list',
  'find',
  'search',
  'looking',
  'recommend',
  'change',
  'another',
  'different',
  'instead',
  'explain',
  'cholesterol',
  'hemoglobin',
  'glucose',
  'laboratory',
  'blood',
  'test',
  'tests',
  'normal',
  'high',
  'meaning',
  'chart',
  'notes',
  'summary',
  'overdue',
  'attention',
  'priority',
  'twice',
  'three',
  'times',
  'daily',
  'amoxicillin',
  'schedule',
  'rebook',
  'remove',
  'delete',
  'which',
  'where',
  'when',
  'what',
  'want',
  'would',
  'like',
  'need',
  'could',
  'should',
  'about',
  'tell',
  'upcoming',
  'booked',
  'scheduled',
  'refill',
  'refills',
  'pills',
  'tablets',
  'document',
  'assessment',
  'holiday',
  'slots',
  'clinic',
  'options',
  'thank',
];
