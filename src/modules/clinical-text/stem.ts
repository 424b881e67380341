/**
 * Light suffix stemming shared by the concept matcher and the knowledge-base phrases: the same
 * function runs on both sides, so "breathing", "breathe" and "breath" meet, as do "pains" and "pain".
 * Deliberately crude (no dictionary): it only has to be consistent.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  const dedouble = (s: string) => (/([b-df-hj-km-np-rtvwxz])\1$/.test(s) && !/(ll|ss|zz)$/.test(s) ? s.slice(0, -1) : s);
  if (w.endsWith('iness') && w.length > 6) w = w.slice(0, -5) + 'y';
  else if (w.endsWith('ness') && w.length > 6) w = w.slice(0, -4);
  else if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('ing') && w.length > 5) w = dedouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4 && !w.endsWith('eed')) w = dedouble(w.slice(0, -2));
  else if (w.endsWith('ly') && w.length > 5) w = w.slice(0, -2);
  else if (w.endsWith('ful') && w.length > 6)
    w = w.slice(0, -3); // "painful" meets "pain"
  else if (w.endsWith('es') && /(ss|x|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w) && w.length > 3) w = w.slice(0, -1);
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  if (w.endsWith('y') && w.length > 4 && !/[aeiou]y$/.test(w)) w = w.slice(0, -1);
  return w;
}
