/**
 * Passkeys in the browser: the server's options (WebAuthn JSON, base64url binary fields, from
 * @simplewebauthn/server) become navigator.credentials.get() arguments, and the browser's assertion
 * becomes the JSON the server verifies; registration likewise with navigator.credentials.create()
 * (the Security page). Written out (a few lines) rather than a library, since
 * PublicKeyCredential.parseRequestOptionsFromJSON/toJSON are not in every browser we support.
 */
type Json = Record<string, unknown>;

function fromB64url(value: string): ArrayBuffer {
  const b64 = value
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(value.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return bytes.buffer;
}

function toB64url(buffer: ArrayBuffer | null): string | undefined {
  if (!buffer) return undefined;
  let text = '';
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function passkeysSupported(): boolean {
  return typeof window.PublicKeyCredential === 'function' && Boolean(navigator.credentials);
}

type Descriptor = { id: string; type?: string; transports?: string[] };
const descriptors = (list: unknown) =>
  ((list as Descriptor[] | undefined) ?? []).map((c) => ({
    id: fromB64url(c.id),
    type: 'public-key' as const,
    ...(c.transports && { transports: c.transports as AuthenticatorTransport[] }),
  }));

/** navigator.credentials.get() with the server's options → the assertion as JSON. */
export async function getPasskey(options: Json): Promise<Json> {
  const publicKey: PublicKeyCredentialRequestOptions = {
    challenge: fromB64url(options.challenge as string),
    allowCredentials: descriptors(options.allowCredentials),
    ...(typeof options.timeout === 'number' && { timeout: options.timeout }),
    ...(typeof options.rpId === 'string' && { rpId: options.rpId }),
    ...(typeof options.userVerification === 'string' && { userVerification: options.userVerification as UserVerificationRequirement }),
  };
  const credential = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential | null;
  if (!credential) throw new Error('No passkey was chosen.');
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    response: {
      clientDataJSON: toB64url(response.clientDataJSON),
      authenticatorData: toB64url(response.authenticatorData),
      signature: toB64url(response.signature),
      userHandle: toB64url(response.userHandle),
    },
  };
}

/** navigator.credentials.create() with the server's registration options → the attestation as JSON. */
export async function createPasskey(options: Json): Promise<Json> {
  const user = options.user as { id: string; name: string; displayName: string };
  const rp = options.rp as { id?: string; name: string };
  const selection = options.authenticatorSelection as AuthenticatorSelectionCriteria | undefined;
  const publicKey: PublicKeyCredentialCreationOptions = {
    challenge: fromB64url(options.challenge as string),
    rp,
    user: { id: fromB64url(user.id), name: user.name, displayName: user.displayName },
    pubKeyCredParams: (options.pubKeyCredParams as { alg: number }[]).map((p) => ({ type: 'public-key' as const, alg: p.alg })),
    excludeCredentials: descriptors(options.excludeCredentials),
    ...(typeof options.timeout === 'number' && { timeout: options.timeout }),
    ...(selection && { authenticatorSelection: selection }),
    ...(typeof options.attestation === 'string' && { attestation: options.attestation as AttestationConveyancePreference }),
    ...(typeof options.extensions === 'object' && options.extensions && { extensions: options.extensions as AuthenticationExtensionsClientInputs }),
  };
  const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential | null;
  if (!credential) throw new Error('No passkey was created.');
  const response = credential.response as AuthenticatorAttestationResponse;
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    response: {
      clientDataJSON: toB64url(response.clientDataJSON),
      attestationObject: toB64url(response.attestationObject),
      transports: typeof response.getTransports === 'function' ? response.getTransports() : undefined,
    },
  };
}

/** What to tell the user when the browser refused or the user cancelled. */
export function passkeyErrorText(err: unknown): string {
  if (err instanceof DOMException && (err.name === 'NotAllowedError' || err.name === 'AbortError')) {
    return 'The passkey request was cancelled or timed out. Try again, or use another way to sign in.';
  }
  // create(): the authenticator already holds a passkey of this account (excludeCredentials).
  if (err instanceof DOMException && err.name === 'InvalidStateError') return 'This device already has a passkey for your account.';
  return err instanceof Error ? err.message : 'The passkey could not be used.';
}
