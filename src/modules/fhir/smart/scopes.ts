/**
 * SMART App Launch 2.0 scopes (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
 * `patient/Observation.rs`, `user/*.cruds`, and the v1 spellings `read`, `write`, `*`, which SMART
 * 2.0 servers are asked to accept. Only the pieces this server grants are modelled.
 */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  level: 'patient' | 'user';
  type: string;
  interactions: Set<Interaction>;
}

const RESOURCE_SCOPE = /^(patient|user)\/(\*|[A-Z][A-Za-z]+)\.(\*|read|write|c?r?u?d?s?)$/;
const V1: Record<string, string> = { '*': 'cruds', read: 'rs', write: 'cud' };
/** Scopes that are not about resources and that this server understands. */
export const CONTEXT_SCOPES = ['launch/patient', 'launch', 'offline_access', 'openid', 'fhirUser'] as const;

export function parseResourceScope(scope: string): ResourceScope | null {
  const match = RESOURCE_SCOPE.exec(scope);
  if (!match || match[3] === '') return null;
  const letters = V1[match[3]!] ?? match[3]!;
  return { level: match[1] as 'patient' | 'user', type: match[2]!, interactions: new Set(letters.split('') as Interaction[]) };
}

/** Is `wanted` (one resource scope) within `limit` (another)? */
function within(wanted: ResourceScope, limit: ResourceScope): boolean {
  return wanted.level === limit.level && (limit.type === '*' || limit.type === wanted.type) && [...wanted.interactions].every((i) => limit.interactions.has(i));
}

/**
 * What an app gets: the scopes it asked for that its registration allows and that this user may
 * hold. Patient-level scopes (and `launch/patient`) are granted to patients, whose compartment is
 * their own; a clinician's standalone launch would need a patient picker, which this server does
 * not offer, so clinicians are granted user-level scopes (their usual access rules) only. Unknown
 * scopes are dropped, as the SMART specification allows.
 */
export function grantScopes(requested: string, allowed: string, role: string): string[] {
  const allowedTokens = allowed.split(/\s+/).filter(Boolean);
  const allowedResources = allowedTokens.map(parseResourceScope).filter((s): s is ResourceScope => s !== null);
  const granted: string[] = [];
  for (const scope of new Set(requested.split(/\s+/).filter(Boolean))) {
    if ((CONTEXT_SCOPES as readonly string[]).includes(scope)) {
      if (!allowedTokens.includes(scope)) continue;
      if (scope === 'launch/patient' && role !== 'patient') continue;
      granted.push(scope);
      continue;
    }
    const parsed = parseResourceScope(scope);
    if (!parsed || !allowedResources.some((limit) => within(parsed, limit))) continue;
    if (parsed.level === 'patient' && role !== 'patient') continue;
    granted.push(scope);
  }
  return granted;
}

/** May an app holding `scopes` do `interaction` on resources of `type`? */
export function scopesAllow(scopes: readonly string[], type: string, interaction: Interaction): boolean {
  return scopes.some((scope) => {
    const parsed = parseResourceScope(scope);
    return parsed !== null && (parsed.type === '*' || parsed.type === type) && parsed.interactions.has(interaction);
  });
}
