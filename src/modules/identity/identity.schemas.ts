import { Type, type Static } from 'typebox';
import { DateTime, Uuid } from '../../platform/http/schemas.js';

export const RoleSchema = Type.Union([Type.Literal('patient'), Type.Literal('doctor'), Type.Literal('nurse'), Type.Literal('admin')]);
export const StatusSchema = Type.Union([Type.Literal('active'), Type.Literal('pending'), Type.Literal('deactivated'), Type.Literal('deleted')]);
const Email = Type.String({ format: 'email', maxLength: 254 });
const Username = Type.String({ minLength: 3, maxLength: 40, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
const Phone = Type.String({ minLength: 5, maxLength: 32, pattern: '^\\+?[0-9 ()./-]+$' });
const FullName = Type.String({ minLength: 1, maxLength: 200 });
/** Length is checked by the password policy (422 with a reason), not the schema. */
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const TimeZone = Type.String({ minLength: 1, maxLength: 64 });

/** The only shape a user is ever serialised in: no hash, token or secret can leak. */
export const UserSchema = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    username: Type.Union([Type.String(), Type.Null()]),
    full_name: Type.String(),
    phone: Type.Union([Type.String(), Type.Null()]),
    time_zone: Type.String(),
    role: RoleSchema,
    status: StatusSchema,
    approved_at: Type.Union([DateTime, Type.Null()]),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { $id: 'User', additionalProperties: false },
);
export type UserDto = Static<typeof UserSchema>;

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    full_name: FullName,
    role: RoleSchema,
    phone: Type.Optional(Phone),
    username: Type.Optional(Username),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  {
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    password: Password,
    // OAuth2 password-grant fields that Swagger UI sends along with the form.
    grant_type: Type.Optional(Type.String({ maxLength: 32 })),
    scope: Type.Optional(Type.String({ maxLength: 512 })),
    client_id: Type.Optional(Type.String({ maxLength: 256 })),
    client_secret: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const TokenPairSchema = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
  user: Type.Ref('User'),
});

export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });
export const LogoutBody = Type.Object(
  {
    refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    /** With ?all=true on an account without a second factor, signed in more than STEP_UP_MAX_AGE_SECONDS ago. */
    password: Type.Optional(Password),
  },
  { additionalProperties: false },
);
/** Ending another session: the password, for an account without a second factor that signed in a while ago. */
export const EndSessionBody = Type.Object({ password: Type.Optional(Password) }, { additionalProperties: false });
export const LogoutQuery = Type.Object({ all: Type.Optional(Type.Boolean()) });

export const UpdateMeBody = Type.Object(
  {
    full_name: Type.Optional(FullName),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    username: Type.Optional(Type.Union([Username, Type.Null()])),
    time_zone: Type.Optional(TimeZone),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateMeBody = Static<typeof UpdateMeBody>;

export const ChangePasswordBody = Type.Object({ current_password: Password, new_password: Password }, { additionalProperties: false });
export const ForgotPasswordBody = Type.Object({ email: Email }, { additionalProperties: false });
export const ResetPasswordBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }), new_password: Password }, { additionalProperties: false });
export const AcceptedSchema = Type.Object({ detail: Type.String() });

export const UserListQuery = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    status: Type.Optional(StatusSchema),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    sort: Type.Optional(Type.Union([Type.Literal('created_at'), Type.Literal('-created_at'), Type.Literal('full_name'), Type.Literal('-full_name')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type UserListQuery = Static<typeof UserListQuery>;

/** A user id or a username (seed 004 addresses users by username). */
export const UserRef = Type.Object({ user: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' }) });
export const AdminUpdateUserBody = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const SetRoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });
export const SetPasswordBody = Type.Object({ new_password: Password, current_password: Type.Optional(Password) }, { additionalProperties: false });

// ---- strong authentication (docs/API.md §1.1) -------------------------------------------

const MfaToken = Type.String({ minLength: 1, maxLength: 512 });
const TotpCode = Type.String({ minLength: 1, maxLength: 16 });
const RecoveryCode = Type.String({ minLength: 1, maxLength: 64 });
/** A WebAuthn response as the browser's navigator.credentials.get()/create() gives it (JSON-encoded). */
export const WebauthnResponse = Type.Record(Type.String(), Type.Unknown());

export const MfaRequiredSchema = Type.Object({
  mfa_required: Type.Literal(true),
  mfa_token: Type.String(),
  methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('recovery_code'), Type.Literal('webauthn')])),
  enrolment_required: Type.Boolean(),
});
export const LoginReplySchema = Type.Union([TokenPairSchema, MfaRequiredSchema]);

export const TotpSetupBody = Type.Object({ password: Type.Optional(Password), mfa_token: Type.Optional(MfaToken) }, { additionalProperties: false });
export const TotpSetupReply = Type.Object({ secret: Type.String(), otpauth_uri: Type.String(), qr_svg: Type.String() });
export const TotpConfirmBody = Type.Object({ code: TotpCode, mfa_token: Type.Optional(MfaToken) }, { additionalProperties: false });
export const TotpConfirmReply = Type.Intersect([TokenPairSchema, Type.Object({ recovery_codes: Type.Array(Type.String()) })]);
export const TotpDeleteBody = Type.Object({ password: Password, code: TotpCode }, { additionalProperties: false });

const ProofFields = {
  code: Type.Optional(TotpCode),
  recovery_code: Type.Optional(RecoveryCode),
  webauthn: Type.Optional(WebauthnResponse),
};
export const MfaVerifyBody = Type.Object({ mfa_token: MfaToken, ...ProofFields }, { additionalProperties: false });
export const StepUpBody = Type.Object(ProofFields, { additionalProperties: false });

export const SessionSchema = Type.Object({
  id: Uuid,
  current: Type.Boolean(),
  device: Type.String(),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  amr: Type.Array(Type.String()),
  created_at: DateTime,
  last_used_at: DateTime,
});
export const SessionListSchema = Type.Object({ items: Type.Array(SessionSchema) });
export const SessionRef = Type.Object({ id: Uuid });

/** Registration/authentication options as @simplewebauthn/server generates them (PublicKeyCredential*OptionsJSON). */
export const WebauthnOptionsSchema = Type.Record(Type.String(), Type.Unknown());
export const WebauthnRegisterOptionsBody = Type.Object({ password: Password }, { additionalProperties: false });
export const WebauthnRegisterVerifyBody = Type.Object(
  { response: WebauthnResponse, name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
  { additionalProperties: false },
);
export const WebauthnLoginOptionsBody = Type.Object({ mfa_token: Type.Optional(MfaToken) }, { additionalProperties: false });
export const WebauthnLoginVerifyBody = Type.Object({ response: WebauthnResponse }, { additionalProperties: false });
export const PasskeySchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  transports: Type.Array(Type.String()),
  created_at: DateTime,
  last_used_at: Type.Union([DateTime, Type.Null()]),
});
export const PasskeyListSchema = Type.Object({ items: Type.Array(PasskeySchema) });
export const PasskeyRenameBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
