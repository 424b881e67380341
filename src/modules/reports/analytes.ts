/**
 * Built-in adult reference intervals for common analytes, used when a report does not
 * print its own reference range, plus critical ("panic") limits used for the `critical`
 * flag. Values follow widely used adult intervals (e.g. Mayo Clinic Laboratories, ARUP,
 * and the critical-value lists published by US academic laboratories); laboratories
 * differ, which is why a range printed on the report always wins.
 */
export interface Analyte {
  key: string;
  /**
   * LOINC code of the usual serum/plasma (or whole-blood, for the blood count) test, for FHIR
   * Observation.code (docs/FHIR.md). Left out where labs use several codes for one name (eGFR
   * differs by equation), so nothing claims a code the lab may not have used.
   */
  loinc?: string;
  name: string;
  unit: string;
  aliases: string[];
  low?: number;
  high?: number;
  criticalLow?: number;
  criticalHigh?: number;
}

export const ANALYTES: Analyte[] = [
  // Complete blood count
  {
    key: 'hemoglobin',
    loinc: '718-7',
    name: 'Hemoglobin',
    unit: 'g/dL',
    aliases: ['haemoglobin', 'hgb', 'hb'],
    low: 12.0,
    high: 17.5,
    criticalLow: 7.0,
    criticalHigh: 20.0,
  },
  {
    key: 'hematocrit',
    loinc: '4544-3',
    name: 'Hematocrit',
    unit: '%',
    aliases: ['haematocrit', 'hct', 'pcv'],
    low: 36,
    high: 50,
    criticalLow: 20,
    criticalHigh: 60,
  },
  {
    key: 'wbc',
    loinc: '6690-2',
    name: 'White blood cells',
    unit: '10^9/L',
    aliases: ['wbc', 'white blood cell count', 'white cell count', 'leukocytes', 'leucocytes', 'total leukocyte count', 'wbc count'],
    low: 4.0,
    high: 11.0,
    criticalLow: 2.0,
    criticalHigh: 30.0,
  },
  {
    key: 'rbc',
    loinc: '789-8',
    name: 'Red blood cells',
    unit: '10^12/L',
    aliases: ['rbc', 'red blood cell count', 'red cell count', 'erythrocytes', 'rbc count'],
    low: 4.0,
    high: 5.9,
  },
  {
    key: 'platelets',
    loinc: '777-3',
    name: 'Platelets',
    unit: '10^9/L',
    aliases: ['plt', 'platelet count', 'thrombocytes'],
    low: 150,
    high: 400,
    criticalLow: 50,
    criticalHigh: 1000,
  },
  { key: 'mcv', loinc: '787-2', name: 'MCV', unit: 'fL', aliases: ['mean corpuscular volume'], low: 80, high: 100 },
  { key: 'mch', loinc: '785-6', name: 'MCH', unit: 'pg', aliases: ['mean corpuscular hemoglobin'], low: 27, high: 33 },
  { key: 'mchc', loinc: '786-4', name: 'MCHC', unit: 'g/dL', aliases: ['mean corpuscular hemoglobin concentration'], low: 32, high: 36 },
  { key: 'rdw', loinc: '788-0', name: 'RDW', unit: '%', aliases: ['red cell distribution width', 'rdw-cv'], low: 11.5, high: 14.5 },
  {
    key: 'neutrophils',
    loinc: '751-8',
    name: 'Neutrophils',
    unit: '10^9/L',
    aliases: ['neutrophils absolute', 'anc', 'absolute neutrophil count'],
    low: 1.8,
    high: 7.7,
    criticalLow: 0.5,
  },
  { key: 'lymphocytes', loinc: '731-0', name: 'Lymphocytes', unit: '10^9/L', aliases: ['lymphocytes absolute'], low: 1.0, high: 4.8 },
  // Basic / comprehensive metabolic panel
  {
    key: 'glucose',
    loinc: '2345-7',
    name: 'Glucose',
    unit: 'mg/dL',
    aliases: ['glucose fasting', 'fasting glucose', 'fasting blood sugar', 'fbs', 'blood glucose', 'glucose, fasting'],
    low: 70,
    high: 99,
    criticalLow: 40,
    criticalHigh: 500,
  },
  {
    key: 'sodium',
    loinc: '2951-2',
    name: 'Sodium',
    unit: 'mmol/L',
    aliases: ['na', 'na+', 'serum sodium'],
    low: 135,
    high: 145,
    criticalLow: 120,
    criticalHigh: 160,
  },
  {
    key: 'potassium',
    loinc: '2823-3',
    name: 'Potassium',
    unit: 'mmol/L',
    aliases: ['k', 'k+', 'serum potassium'],
    low: 3.5,
    high: 5.1,
    criticalLow: 2.8,
    criticalHigh: 6.2,
  },
  { key: 'chloride', loinc: '2075-0', name: 'Chloride', unit: 'mmol/L', aliases: ['cl', 'cl-'], low: 98, high: 107, criticalLow: 80, criticalHigh: 120 },
  {
    key: 'bicarbonate',
    loinc: '1963-8',
    name: 'Bicarbonate',
    unit: 'mmol/L',
    aliases: ['hco3', 'co2', 'total co2', 'carbon dioxide'],
    low: 22,
    high: 29,
    criticalLow: 10,
    criticalHigh: 40,
  },
  {
    key: 'bun',
    loinc: '3094-0',
    name: 'Urea nitrogen (BUN)',
    unit: 'mg/dL',
    aliases: ['bun', 'blood urea nitrogen', 'urea nitrogen'],
    low: 7,
    high: 20,
    criticalHigh: 100,
  },
  { key: 'creatinine', loinc: '2160-0', name: 'Creatinine', unit: 'mg/dL', aliases: ['creat', 'serum creatinine'], low: 0.6, high: 1.3, criticalHigh: 10 },
  { key: 'egfr', name: 'eGFR', unit: 'mL/min/1.73m2', aliases: ['estimated gfr', 'gfr'], low: 60 },
  {
    key: 'calcium',
    loinc: '17861-6',
    name: 'Calcium',
    unit: 'mg/dL',
    aliases: ['ca', 'total calcium', 'serum calcium'],
    low: 8.6,
    high: 10.3,
    criticalLow: 6.0,
    criticalHigh: 13.0,
  },
  { key: 'albumin', loinc: '1751-7', name: 'Albumin', unit: 'g/dL', aliases: ['alb'], low: 3.5, high: 5.0 },
  { key: 'total_protein', loinc: '2885-2', name: 'Total protein', unit: 'g/dL', aliases: ['protein total', 'tp'], low: 6.0, high: 8.3 },
  {
    key: 'bilirubin_total',
    loinc: '1975-2',
    name: 'Bilirubin, total',
    unit: 'mg/dL',
    aliases: ['total bilirubin', 'bilirubin', 'tbil'],
    low: 0.1,
    high: 1.2,
    criticalHigh: 15,
  },
  { key: 'alt', loinc: '1742-6', name: 'ALT', unit: 'U/L', aliases: ['alanine aminotransferase', 'sgpt', 'alt (sgpt)'], low: 7, high: 56 },
  { key: 'ast', loinc: '1920-8', name: 'AST', unit: 'U/L', aliases: ['aspartate aminotransferase', 'sgot', 'ast (sgot)'], low: 10, high: 40 },
  { key: 'alp', loinc: '6768-6', name: 'Alkaline phosphatase', unit: 'U/L', aliases: ['alp', 'alk phos'], low: 44, high: 147 },
  // Lipids
  {
    key: 'cholesterol_total',
    loinc: '2093-3',
    name: 'Cholesterol, total',
    unit: 'mg/dL',
    aliases: ['total cholesterol', 'cholesterol', 'cholesterol total', 'tc'],
    high: 200,
  },
  {
    key: 'ldl',
    loinc: '2089-1',
    name: 'LDL cholesterol',
    unit: 'mg/dL',
    aliases: ['ldl', 'ldl-c', 'ldl cholesterol calculated', 'ldl-cholesterol'],
    high: 100,
  },
  { key: 'hdl', loinc: '2085-9', name: 'HDL cholesterol', unit: 'mg/dL', aliases: ['hdl', 'hdl-c', 'hdl-cholesterol'], low: 40 },
  { key: 'triglycerides', loinc: '2571-8', name: 'Triglycerides', unit: 'mg/dL', aliases: ['tg', 'trig', 'triglyceride'], high: 150, criticalHigh: 1000 },
  // Diabetes, thyroid, others
  {
    key: 'hba1c',
    loinc: '4548-4',
    name: 'HbA1c',
    unit: '%',
    aliases: ['hemoglobin a1c', 'haemoglobin a1c', 'a1c', 'glycated hemoglobin', 'glycosylated hemoglobin', 'hba1c (ngsp)'],
    low: 4.0,
    high: 5.6,
    criticalHigh: 14,
  },
  { key: 'tsh', loinc: '3016-3', name: 'TSH', unit: 'mIU/L', aliases: ['thyroid stimulating hormone', 'thyrotropin'], low: 0.4, high: 4.0, criticalHigh: 50 },
  { key: 'free_t4', loinc: '3024-7', name: 'Free T4', unit: 'ng/dL', aliases: ['ft4', 'free thyroxine', 't4 free'], low: 0.8, high: 1.8 },
  { key: 'crp', loinc: '1988-5', name: 'C-reactive protein', unit: 'mg/L', aliases: ['crp', 'c reactive protein'], high: 10 },
  { key: 'ferritin', loinc: '2276-4', name: 'Ferritin', unit: 'ng/mL', aliases: [], low: 20, high: 300 },
  {
    key: 'vitamin_d',
    loinc: '62292-8',
    name: 'Vitamin D, 25-OH',
    unit: 'ng/mL',
    aliases: ['25-oh vitamin d', 'vitamin d', '25-hydroxyvitamin d', 'vit d'],
    low: 30,
    high: 100,
  },
  { key: 'vitamin_b12', loinc: '2132-9', name: 'Vitamin B12', unit: 'pg/mL', aliases: ['b12', 'cobalamin', 'vit b12'], low: 200, high: 900 },
  { key: 'inr', loinc: '6301-6', name: 'INR', unit: '', aliases: ['pt inr', 'international normalized ratio'], low: 0.8, high: 1.2, criticalHigh: 5.0 },
];

function norm(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\s_]+/g, ' ')
    .replace(/[.:*]+$/g, '')
    .trim();
}

const BY_NAME = new Map<string, Analyte>();
for (const analyte of ANALYTES) {
  for (const alias of [analyte.key, analyte.name, ...analyte.aliases]) BY_NAME.set(norm(alias), analyte);
}

/** The built-in analyte for a printed name ("Haemoglobin", "HGB", "Glucose, fasting"), if known. */
export function findAnalyte(name: string): Analyte | undefined {
  const n = norm(name);
  return BY_NAME.get(n) ?? BY_NAME.get(n.replace(/\s*\(.*\)$/, '')) ?? BY_NAME.get(n.replace(/,.*$/, ''));
}

/** The key observations are grouped by for trends: the built-in key, or the normalised name. */
export function analyteKey(name: string): string {
  return findAnalyte(name)?.key ?? norm(name);
}
