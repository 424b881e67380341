import { editDistance, allowedEdits, isEnglishWord } from './text.js';

/**
 * Medication details in a doctor's message: drug, dose, route, frequency, duration
 * (docs/ASSISTANTS.md "Prescriptions"). The drug must be a known name (a fixed list of common
 * generics and a few brands below, typos within a small edit distance): an unknown word is
 * never prescribed, the assistant asks instead.
 */
export const DRUGS = [
  'amoxicillin',
  'amoxicillin clavulanate',
  'co-amoxiclav',
  'augmentin',
  'azithromycin',
  'clarithromycin',
  'erythromycin',
  'doxycycline',
  'ciprofloxacin',
  'levofloxacin',
  'cefalexin',
  'cephalexin',
  'cefuroxime',
  'ceftriaxone',
  'nitrofurantoin',
  'trimethoprim',
  'metronidazole',
  'flucloxacillin',
  'penicillin',
  'clindamycin',
  'paracetamol',
  'acetaminophen',
  'ibuprofen',
  'naproxen',
  'diclofenac',
  'aspirin',
  'codeine',
  'tramadol',
  'morphine',
  'oxycodone',
  'metformin',
  'gliclazide',
  'insulin',
  'sitagliptin',
  'empagliflozin',
  'dapagliflozin',
  'glipizide',
  'pioglitazone',
  'lisinopril',
  'ramipril',
  'enalapril',
  'losartan',
  'valsartan',
  'candesartan',
  'amlodipine',
  'nifedipine',
  'bisoprolol',
  'metoprolol',
  'atenolol',
  'propranolol',
  'hydrochlorothiazide',
  'indapamide',
  'furosemide',
  'spironolactone',
  'atorvastatin',
  'simvastatin',
  'rosuvastatin',
  'pravastatin',
  'ezetimibe',
  'warfarin',
  'apixaban',
  'rivaroxaban',
  'dabigatran',
  'clopidogrel',
  'digoxin',
  'omeprazole',
  'lansoprazole',
  'pantoprazole',
  'esomeprazole',
  'ranitidine',
  'famotidine',
  'ondansetron',
  'metoclopramide',
  'loperamide',
  'lactulose',
  'senna',
  'salbutamol',
  'albuterol',
  'budesonide',
  'fluticasone',
  'beclometasone',
  'montelukast',
  'tiotropium',
  'prednisolone',
  'prednisone',
  'dexamethasone',
  'hydrocortisone',
  'cetirizine',
  'loratadine',
  'fexofenadine',
  'chlorphenamine',
  'diphenhydramine',
  'sertraline',
  'fluoxetine',
  'citalopram',
  'escitalopram',
  'paroxetine',
  'venlafaxine',
  'duloxetine',
  'mirtazapine',
  'amitriptyline',
  'quetiapine',
  'olanzapine',
  'risperidone',
  'diazepam',
  'lorazepam',
  'zopiclone',
  'melatonin',
  'gabapentin',
  'pregabalin',
  'levetiracetam',
  'lamotrigine',
  'sodium valproate',
  'carbamazepine',
  'levothyroxine',
  'carbimazole',
  'alendronate',
  'calcium',
  'vitamin d',
  'colecalciferol',
  'ferrous sulfate',
  'folic acid',
  'vitamin b12',
  'allopurinol',
  'colchicine',
  'methotrexate',
  'hydroxychloroquine',
  'sumatriptan',
  'tamsulosin',
  'finasteride',
  'sildenafil',
  'aciclovir',
  'acyclovir',
  'valaciclovir',
  'oseltamivir',
  'fluconazole',
  'clotrimazole',
  'terbinafine',
  'nystatin',
  'mupirocin',
  'fusidic acid',
  'hydrocortisone cream',
  'betamethasone',
  'emollient',
  'isotretinoin',
  'benzoyl peroxide',
  'adapalene',
  'tretinoin',
  'minoxidil',
  'oral rehydration salts',
  'amoxil',
  'zithromax',
  'lipitor',
  'ventolin',
  'panadol',
  'tylenol',
  'advil',
  'nurofen',
  'glucophage',
  'zoloft',
  'prozac',
] as const;

const SINGLE = new Map<string, string>();
const MULTI: string[] = [];
for (const d of DRUGS) {
  if (d.includes(' ')) MULTI.push(d);
  else SINGLE.set(d.replace(/-/g, ''), d);
}

export interface MedicationEntities {
  drug?: string;
  /** What the doctor wrote after "prescribe" when it is not a known drug. */
  unknownDrug?: string;
  dose?: string;
  route?: string;
  frequency?: string;
  duration_days?: number;
}

const FREQUENCIES: [RegExp, string][] = [
  [/\b(?:once|one time|1 time|1x)\s+(?:a|per|each)\s+day\b|\bonce daily\b|\b(?:od|qd|daily)\b|\bevery day\b|\bonce a day\b/, 'once daily'],
  [/\b(?:twice|two times|2 times|2x)\s+(?:a|per|each)?\s*day\b|\btwice daily\b|\b(?:bd|bid|b\.d\.|b\.i\.d\.)\b/, 'twice daily'],
  [/\b(?:three times|thrice|3 times|3x)\s+(?:a|per|each)?\s*day\b|\bthree times daily\b|\b(?:tds|tid|t\.d\.s\.|t\.i\.d\.)\b/, 'three times daily'],
  [/\b(?:four times|4 times|4x)\s+(?:a|per|each)?\s*day\b|\bfour times daily\b|\b(?:qds|qid|q\.d\.s\.|q\.i\.d\.)\b/, 'four times daily'],
  [/\bevery (\d{1,2}) (?:hours|hrs|h)\b|\bq(\d{1,2})h\b|\b(\d{1,2}) hourly\b/, 'every $ hours'],
  [/\b(?:at night|nightly|at bedtime|before bed|nocte|qhs)\b/, 'at night'],
  [/\b(?:as needed|as required|when needed|if needed|prn|p\.r\.n\.)\b/, 'as needed'],
  [/\b(?:once a week|weekly|once weekly|every week)\b/, 'once weekly'],
  [/\b(?:in the morning|every morning|mane|a day|per day)\b/, 'once daily'],
];

const ROUTES: [RegExp, string][] = [
  [/\b(?:po|p\.o\.|oral|orally|by mouth|tablets?|tabs?|capsules?|caps?)\b/, 'oral'],
  [/\b(?:iv|intravenous|intravenously)\b/, 'intravenous'],
  [/\b(?:im|intramuscular|intramuscularly)\b/, 'intramuscular'],
  [/\b(?:sc|subcut|subcutaneous|subcutaneously|s\/c)\b/, 'subcutaneous'],
  [/\b(?:topical|topically|cream|ointment|gel|apply)\b/, 'topical'],
  [/\b(?:inhaled|inhaler|puffs?|nebuli[sz]ed)\b/, 'inhaled'],
  [/\b(?:sublingual|sl)\b/, 'sublingual'],
  [/\b(?:eye drops?|ophthalmic)\b/, 'ophthalmic'],
];

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  fourteen: 14,
  twenty: 20,
  thirty: 30,
  a: 1,
  an: 1,
};

/** Words that follow "prescribe" but are not a drug ("prescribe something for", "prescribe her …"). */
const NOT_A_DRUG = new Set([
  'a',
  'an',
  'the',
  'some',
  'something',
  'her',
  'him',
  'them',
  'patient',
  'for',
  'to',
  'me',
  'medication',
  'medicine',
  'drug',
  'new',
  'prescription',
  'mr',
  'mrs',
  'ms',
  'miss',
]);

/** A known drug in normalised text (typos within allowedEdits), with the matched words. */
export function findDrug(normalized: string): { drug: string; words: string } | null {
  for (const d of MULTI) if (normalized.includes(d)) return { drug: d, words: d };
  const words = normalized.split(' ');
  for (const w of words) {
    const exact = SINGLE.get(w.replace(/-/g, ''));
    if (exact) return { drug: exact, words: w };
  }
  for (const w of words) {
    // A real English word is no misspelt drug ("appointments", "tablets"); exact drug names matched above.
    if (w.length < 6 || NOT_A_DRUG.has(w) || isEnglishWord(w)) continue;
    let best: string | null = null;
    let bestD = allowedEdits(w.length) + 1;
    for (const [k, d] of SINGLE) {
      const dist = editDistance(w, k, allowedEdits(w.length));
      if (dist < bestD) {
        best = d;
        bestD = dist;
      }
    }
    if (best) return { drug: best, words: w };
  }
  return null;
}

export function extractMedication(normalized: string): MedicationEntities {
  const out: MedicationEntities = {};
  const found = findDrug(normalized);
  if (found) out.drug = found.drug;
  else {
    const m = /\b(?:prescribe|prescribing|start(?:ing)? (?:her|him|them)? ?on|put (?:her|him|them) on|rx)\s+([a-z][a-z-]{2,})/.exec(normalized);
    if (m && !NOT_A_DRUG.has(m[1]!)) out.unknownDrug = m[1];
  }
  const dose = /\b(\d+(?:\.\d+)?)\s*(mg|mcg|micrograms?|ug|g|grams?|ml|units?|iu|%|puffs?|tablets?|tabs?|capsules?|drops?)\b/.exec(normalized);
  if (dose) out.dose = `${dose[1]} ${dose[2]}`;
  else if (found) {
    // "naproxen 500 bd", "co-amoxiclav 625 tds": a bare number right after the drug is its dose.
    const bare = new RegExp(`\\b${found.words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+(\\d+(?:\\.\\d+)?)\\b(?!\\s*(?:days?|weeks?|times|x|/))`).exec(
      normalized,
    );
    if (bare) out.dose = bare[1];
  }
  for (const [re, label] of FREQUENCIES) {
    const m = re.exec(normalized);
    if (m) {
      out.frequency = label.includes('$') ? label.replace('$', m[1] ?? m[2] ?? m[3] ?? '') : label;
      break;
    }
  }
  for (const [re, label] of ROUTES) {
    if (re.test(normalized)) {
      out.route = label;
      break;
    }
  }
  const duration =
    /\b(?<!in |within |every |review in )(?:(?:for|x|during|over)\s*)?(\d+(?=\s*(?:days?|nights?|d|weeks?|wks?|w|months?)\b)|(?:one|two|three|four|five|six|seven|eight|nine|ten|fourteen|twenty|thirty)(?=\s)|a(?= week| month| fortnight))\s*(days?|nights?|d|weeks?|wks?|w|months?|fortnight)\b/.exec(
      normalized,
    );
  const slash = /\b(\d{1,2})\/7\b/.exec(normalized);
  if (slash) out.duration_days = Number(slash[1]);
  else if (duration) {
    const n = /^\d+$/.test(duration[1]!) ? Number(duration[1]) : NUMBER_WORDS[duration[1]!];
    if (n) {
      const unit = duration[2]!;
      const days = unit.startsWith('f') ? n * 14 : unit.startsWith('w') ? n * 7 : unit.startsWith('m') ? n * 30 : n;
      if (days >= 1 && days <= 3650) out.duration_days = days;
    }
  }
  return out;
}
