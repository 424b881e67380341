/**
 * Prescription safety checks (docs/API.md, "Prescription warnings"). Deliberately small and
 * explainable, not a drug database: a built-in list of common drug classes, their members
 * and a few brand names.
 *
 * Names are compared after normalising: lower case, accents and punctuation removed,
 * strengths and units dropped ("Amoxicillin 500 mg" → "amoxicillin"), brand names replaced
 * by their ingredients ("Augmentin" → amoxicillin + clavulanate), combinations split on
 * "/", "+", "-" or "and". A prescribed drug then conflicts with
 *  - an ALLERGY when (a) it has an ingredient with the allergy's name, or (b) the allergy
 *    names a class ("penicillin", "sulfa", "NSAIDs") or a member of one, and an ingredient
 *    belongs to that class (an allergy to amoxicillin also flags ampicillin);
 *  - an ACTIVE PRESCRIPTION of the patient (or another item of the same request) when they
 *    share an ingredient (duplicate) or a class (therapeutic duplicate, e.g. ibuprofen and
 *    naproxen).
 */

interface DrugClass {
  name: string;
  /** Words that name the class itself in an allergy ("penicillin", "sulfa drugs"). */
  aliases: string[];
  members: string[];
}

const CLASSES: DrugClass[] = [
  {
    name: 'penicillins',
    aliases: ['penicillin', 'penicillins', 'beta lactam', 'beta lactams'],
    members: [
      'amoxicillin',
      'amoxycillin',
      'ampicillin',
      'benzylpenicillin',
      'phenoxymethylpenicillin',
      'penicillin v',
      'penicillin g',
      'flucloxacillin',
      'dicloxacillin',
      'cloxacillin',
      'oxacillin',
      'nafcillin',
      'piperacillin',
      'ticarcillin',
      'pivmecillinam',
      'temocillin',
    ],
  },
  {
    name: 'cephalosporins',
    aliases: ['cephalosporin', 'cephalosporins'],
    members: [
      'cefalexin',
      'cephalexin',
      'cefadroxil',
      'cefazolin',
      'cefuroxime',
      'cefaclor',
      'cefixime',
      'cefdinir',
      'cefpodoxime',
      'ceftriaxone',
      'cefotaxime',
      'ceftazidime',
      'cefepime',
      'ceftaroline',
    ],
  },
  {
    name: 'sulfonamides',
    aliases: ['sulfa', 'sulpha', 'sulfa drugs', 'sulpha drugs', 'sulfonamide', 'sulfonamides', 'sulphonamide', 'sulphonamides'],
    members: ['sulfamethoxazole', 'sulphamethoxazole', 'co trimoxazole', 'cotrimoxazole', 'sulfadiazine', 'sulfasalazine', 'sulfacetamide'],
  },
  {
    name: 'NSAIDs',
    aliases: ['nsaid', 'nsaids', 'non steroidal anti inflammatory', 'non steroidal anti inflammatory drugs', 'anti inflammatories'],
    members: [
      'ibuprofen',
      'naproxen',
      'diclofenac',
      'aspirin',
      'acetylsalicylic acid',
      'ketorolac',
      'indometacin',
      'indomethacin',
      'ketoprofen',
      'meloxicam',
      'piroxicam',
      'celecoxib',
      'etoricoxib',
      'mefenamic acid',
      'etodolac',
      'nabumetone',
    ],
  },
  { name: 'macrolides', aliases: ['macrolide', 'macrolides'], members: ['erythromycin', 'azithromycin', 'clarithromycin', 'roxithromycin'] },
  {
    name: 'fluoroquinolones',
    aliases: ['quinolone', 'quinolones', 'fluoroquinolone', 'fluoroquinolones'],
    members: ['ciprofloxacin', 'levofloxacin', 'moxifloxacin', 'ofloxacin', 'norfloxacin'],
  },
  { name: 'tetracyclines', aliases: ['tetracyclines'], members: ['tetracycline', 'doxycycline', 'minocycline', 'lymecycline', 'oxytetracycline'] },
  { name: 'aminoglycosides', aliases: ['aminoglycoside', 'aminoglycosides'], members: ['gentamicin', 'tobramycin', 'amikacin', 'neomycin', 'streptomycin'] },
  {
    name: 'opioids',
    aliases: ['opioid', 'opioids', 'opiate', 'opiates'],
    members: [
      'morphine',
      'codeine',
      'dihydrocodeine',
      'oxycodone',
      'hydrocodone',
      'hydromorphone',
      'tramadol',
      'tapentadol',
      'fentanyl',
      'buprenorphine',
      'methadone',
      'pethidine',
      'meperidine',
    ],
  },
  {
    name: 'statins',
    aliases: ['statin', 'statins'],
    members: ['atorvastatin', 'simvastatin', 'rosuvastatin', 'pravastatin', 'lovastatin', 'fluvastatin', 'pitavastatin'],
  },
  {
    name: 'ACE inhibitors',
    aliases: ['ace inhibitor', 'ace inhibitors', 'ace i'],
    members: ['lisinopril', 'enalapril', 'ramipril', 'captopril', 'perindopril', 'quinapril', 'fosinopril', 'benazepril', 'trandolapril'],
  },
  {
    name: 'benzodiazepines',
    aliases: ['benzodiazepine', 'benzodiazepines', 'benzos'],
    members: ['diazepam', 'lorazepam', 'alprazolam', 'clonazepam', 'temazepam', 'midazolam', 'chlordiazepoxide', 'oxazepam'],
  },
  {
    name: 'proton pump inhibitors',
    aliases: ['ppi', 'ppis', 'proton pump inhibitor', 'proton pump inhibitors'],
    members: ['omeprazole', 'esomeprazole', 'lansoprazole', 'pantoprazole', 'rabeprazole'],
  },
];

/** Brand or combination names → ingredients. */
const BRANDS: Record<string, string[]> = {
  augmentin: ['amoxicillin', 'clavulanate'],
  'co amoxiclav': ['amoxicillin', 'clavulanate'],
  coamoxiclav: ['amoxicillin', 'clavulanate'],
  amoxil: ['amoxicillin'],
  bactrim: ['sulfamethoxazole', 'trimethoprim'],
  septra: ['sulfamethoxazole', 'trimethoprim'],
  'co trimoxazole': ['sulfamethoxazole', 'trimethoprim'],
  cotrimoxazole: ['sulfamethoxazole', 'trimethoprim'],
  keflex: ['cefalexin'],
  zithromax: ['azithromycin'],
  cipro: ['ciprofloxacin'],
  advil: ['ibuprofen'],
  motrin: ['ibuprofen'],
  nurofen: ['ibuprofen'],
  aleve: ['naproxen'],
  voltaren: ['diclofenac'],
  voltarol: ['diclofenac'],
  asa: ['aspirin'],
  tylenol: ['paracetamol'],
  panadol: ['paracetamol'],
  acetaminophen: ['paracetamol'],
  lipitor: ['atorvastatin'],
  zocor: ['simvastatin'],
  crestor: ['rosuvastatin'],
  valium: ['diazepam'],
  xanax: ['alprazolam'],
  nexium: ['esomeprazole'],
  prilosec: ['omeprazole'],
};

const UNIT_RE = /^(\d+([.,]\d+)?)?(mg|mcg|µg|ug|g|ml|iu|units?|%|tabs?|tablets?|caps?|capsules?|mmol)?$/;
const FORM_WORDS = new Set([
  'tablet',
  'tablets',
  'tab',
  'tabs',
  'capsule',
  'capsules',
  'cap',
  'caps',
  'oral',
  'suspension',
  'syrup',
  'solution',
  'injection',
  'cream',
  'ointment',
  'gel',
  'drops',
  'er',
  'sr',
  'xl',
  'mr',
  'retard',
  'hydrochloride',
  'hcl',
  'sodium',
  'potassium',
  'trihydrate',
  'calcium',
  'magnesium',
]);

export function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9%.,/+]+/g, ' ')
    .trim();
}

export function substanceKey(text: string): string {
  return normalise(text)
    .replace(/[/+.,]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const CLASS_BY_MEMBER = new Map<string, DrugClass>();
const CLASS_BY_ALIAS = new Map<string, DrugClass>();
for (const drugClass of CLASSES) {
  for (const member of drugClass.members) CLASS_BY_MEMBER.set(member, drugClass);
  for (const alias of drugClass.aliases) CLASS_BY_ALIAS.set(alias, drugClass);
}

/** The ingredients of a prescribed drug name: "Amoxicillin/clavulanate 875 mg" → ["amoxicillin", "clavulanate"]. */
export function ingredients(drug: string): string[] {
  const whole = substanceKey(drug);
  if (BRANDS[whole]) return BRANDS[whole]!;
  const parts = normalise(drug)
    .split(/\s*(?:\/|\+|,|\band\b|\bwith\b)\s*/)
    .map((part) =>
      part
        .split(/\s+/)
        .filter((word) => word && !UNIT_RE.test(word) && !FORM_WORDS.has(word))
        .join(' ')
        .replace(/[.,%]/g, '')
        .trim(),
    )
    .filter(Boolean);
  const out: string[] = [];
  for (const part of parts) {
    const brand = BRANDS[part] ?? BRANDS[part.split(' ')[0]!];
    if (brand) out.push(...brand);
    else if (CLASS_BY_MEMBER.has(part)) out.push(part);
    else {
      // "penicillin v potassium", "amoxicillin trihydrate": the longest known member inside wins.
      const known = [...CLASS_BY_MEMBER.keys()].filter((m) => ` ${part} `.includes(` ${m} `)).sort((a, b) => b.length - a.length)[0];
      out.push(known ?? part);
    }
  }
  return [...new Set(out)];
}

export function classOf(ingredient: string): DrugClass | undefined {
  return CLASS_BY_MEMBER.get(ingredient);
}

/** What an allergy entry names: a class ("penicillin"), a drug ("amoxicillin"), or an unknown substance. */
export function allergyTarget(substance: string): { key: string; drugClass: DrugClass | undefined; isClass: boolean } {
  const key = substanceKey(substance).replace(/ (allergy|allergic|intolerance)$/, '');
  const byAlias = CLASS_BY_ALIAS.get(key) ?? CLASS_BY_ALIAS.get(key.replace(/s$/, ''));
  if (byAlias) return { key, drugClass: byAlias, isClass: true };
  const asDrug = ingredients(substance);
  const drugClass = asDrug.map((i) => CLASS_BY_MEMBER.get(i)).find(Boolean);
  return { key: asDrug[0] ?? key, drugClass, isClass: false };
}

export interface AllergyFact {
  id: string | null;
  substance: string;
  reaction: string | null;
  severity: string | null;
  source: 'record' | 'profile';
}

export interface ActiveDrug {
  prescriptionId: string | null;
  drug: string;
}

export interface Conflict {
  itemIndex: number;
  drug: string;
  kind: 'allergy' | 'duplicate' | 'therapeutic_duplicate';
  message: string;
}

function describeAllergy(a: AllergyFact): string {
  const extra = [a.severity && a.severity !== 'unknown' ? a.severity : null, a.reaction ? `reaction: ${a.reaction}` : null].filter(Boolean).join('; ');
  return `"${a.substance}"${extra ? ` (${extra})` : ''}${a.source === 'profile' ? ' listed in the patient profile' : ''}`;
}

/** Every conflict of the prescribed items with the patient's allergies and active drugs. */
export function findConflicts(items: { drug: string }[], allergies: AllergyFact[], active: ActiveDrug[]): Conflict[] {
  const conflicts: Conflict[] = [];
  const targets = allergies.map((a) => ({ allergy: a, ...allergyTarget(a.substance) }));
  const activeIngredients = active.map((a) => ({ ...a, ingredients: ingredients(a.drug) }));
  items.forEach((item, itemIndex) => {
    const mine = ingredients(item.drug);
    for (const t of targets) {
      const direct = mine.find((i) => i === t.key || ` ${i} `.includes(` ${t.key} `));
      const viaClass = t.drugClass ? mine.find((i) => classOf(i) === t.drugClass) : undefined;
      if (direct) {
        conflicts.push({ itemIndex, drug: item.drug, kind: 'allergy', message: `allergy: the patient is allergic to ${describeAllergy(t.allergy)}` });
      } else if (viaClass && t.drugClass) {
        const why = t.isClass ? `${viaClass} is one of the ${t.drugClass.name}` : `${viaClass} is, like ${t.key}, one of the ${t.drugClass.name}`;
        conflicts.push({ itemIndex, drug: item.drug, kind: 'allergy', message: `allergy: the patient is allergic to ${describeAllergy(t.allergy)}; ${why}` });
      }
    }
    const others: (ActiveDrug & { ingredients: string[]; where: string })[] = [
      ...activeIngredients.map((a) => ({ ...a, where: `active prescription ${a.prescriptionId}` })),
      ...items
        .slice(0, itemIndex)
        .map((other, j) => ({ prescriptionId: null, drug: other.drug, ingredients: ingredients(other.drug), where: `item ${j} of this prescription` })),
    ];
    for (const other of others) {
      const same = mine.find((i) => other.ingredients.includes(i));
      if (same) {
        conflicts.push({ itemIndex, drug: item.drug, kind: 'duplicate', message: `duplicate: ${same} is already prescribed (${other.drug}, ${other.where})` });
        continue;
      }
      const mineClass = mine.map((i) => ({ i, c: classOf(i) })).find(({ c }) => c && other.ingredients.some((o) => classOf(o) === c));
      if (mineClass?.c) {
        conflicts.push({
          itemIndex,
          drug: item.drug,
          kind: 'therapeutic_duplicate',
          message: `therapeutic duplicate: ${mineClass.i} and ${other.drug} (${other.where}) are both ${mineClass.c.name}`,
        });
      }
    }
  });
  return conflicts;
}
