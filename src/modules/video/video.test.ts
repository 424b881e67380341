import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { TokenVerifier } from 'livekit-server-sdk';
import { build } from '../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import type { BuiltApp } from '../../app.js';
import { SocketClient } from '../../../test/helpers/socket-client.js';
import { agoraUid } from './video.service.js';

const require = createRequire(import.meta.url);
// The package's own AccessToken2 parser (documented Token007 format: "007" + base64(deflate(signature, app id, issue ts, expire, salt, services))).
const { AccessToken2, kRtcServiceType } = require('agora-token/src/AccessToken2.js') as {
  AccessToken2: new () => {
    from_string(t: string): boolean;
    appId: Buffer;
    expire: number;
    services: { service_type(): number; __channel_name: Buffer; __uid: Buffer }[];
    verifySignature(cert: string): boolean;
  };
  kRtcServiceType: number;
};

const AGORA = { AGORA_APP_ID: '0123456789abcdef0123456789abcdef', AGORA_APP_CERTIFICATE: 'fedcba9876543210fedcba9876543210' };

async function appointment(built: BuiltApp, doctor: TestUser, patient: TestUser, startInMinutes: number) {
  const start = new Date(Date.now() + startInMinutes * 60_000);
  start.setUTCSeconds(0, 0);
  const slot = await built.app.inject({
    method: 'POST',
    url: '/api/v1/doctors/me/slots',
    headers: doctor.auth,
    payload: { start: start.toISOString(), duration_minutes: 30 },
  });
  assert.equal(slot.statusCode, 201, slot.body);
  const booked = await built.app.inject({
    method: 'POST',
    url: '/api/v1/appointments',
    headers: patient.auth,
    payload: { slot_id: slot.json().id, type: 'video' },
  });
  assert.equal(booked.statusCode, 201, booked.body);
  return booked.json().id as string;
}

test('video: signalling between the two parties inside the window; outsiders and early joiners refused', async (t) => {
  const built = await build(
    t,
    {},
    {
      TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
      TURN_SECRET: 'a-long-turn-shared-secret',
      STUN_URLS: 'stun:stun.example.org:3478',
    },
  );
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const address = built.app.server.address();
  const base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const [doctor, patient, other, nurse] = await Promise.all([
    createUser(built, 'doctor'),
    createUser(built, 'patient'),
    createUser(built, 'patient'),
    createUser(built, 'nurse'),
  ]);
  const soon = await appointment(built, doctor, patient, 10);
  const later = await appointment(built, doctor, patient, 180);

  const d = await SocketClient.open(`${base}/api/v1/ws/video/${soon}?token=${doctor.token}`);
  const joinedD = await d.next((f) => f.type === 'joined');
  assert.equal(joinedD.user_id, doctor.id);
  assert.ok(joinedD.ice.length === 2);
  // The patient joins through the seed-002 path alias.
  const p = await SocketClient.open(`${base}/api/v1/ws/video/${soon}/${patient.token}`);
  const joinedP = await p.next((f) => f.type === 'joined');
  t.after(() => [d, p].forEach((c) => c.ws.terminate()));
  assert.equal((await d.next((f) => f.type === 'peer_joined')).user_id, patient.id);
  assert.equal((await p.next((f) => f.type === 'peer_joined')).user_id, doctor.id);

  const offerSdp = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n';
  d.send({ type: 'offer', sdp: offerSdp });
  const offer = await p.next((f) => f.type === 'offer');
  assert.deepEqual([offer.sdp, offer.from, offer.from_user_id], [offerSdp, joinedD.peer_id, doctor.id]);
  p.send({ type: 'answer', sdp: 'v=0\r\no=- answer\r\n', to: joinedD.peer_id });
  assert.equal((await d.next((f) => f.type === 'answer')).from, joinedP.peer_id);
  p.send({ type: 'ice_candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
  assert.equal((await d.next((f) => f.type === 'ice_candidate')).candidate.sdpMid, '0');
  // Bad frames: error, connection stays.
  p.send({ type: 'offer' });
  assert.equal((await p.next((f) => f.type === 'error')).code, 'invalid_frame');
  p.send('nope');
  assert.equal((await p.next((f) => f.type === 'error')).code, 'invalid_json');
  p.send({ type: 'hangup', reason: 'declined', to: joinedD.peer_id });
  const hangup = await d.next((f) => f.type === 'hangup');
  assert.deepEqual([hangup.from, hangup.reason], [joinedP.peer_id, 'declined']);
  p.send({ type: 'hangup' });
  assert.equal((await d.next((f) => f.type === 'hangup')).from, joinedP.peer_id);
  p.close();
  assert.equal((await d.next((f) => f.type === 'peer_left')).user_id, patient.id);

  // Not a party (another patient; a nurse): 4404. Too early: 4409. Bad token: 4401.
  for (const [url, code] of [
    [`${base}/api/v1/ws/video/${soon}?token=${other.token}`, 4404],
    [`${base}/api/v1/ws/video/${soon}?token=${nurse.token}`, 4404],
    [`${base}/api/v1/ws/video/${later}?token=${patient.token}`, 4409],
    [`${base}/api/v1/ws/video/${soon}?token=garbage`, 4401],
    [`${base}/api/v1/ws/video/00000000-0000-4000-8000-000000000000?token=${patient.token}`, 4404],
  ] as const) {
    const c = await SocketClient.open(url);
    assert.equal(await c.closed(), code, url);
  }

  await t.test('ICE servers with TURN REST credentials', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/api/v1/video/ice-servers', headers: patient.auth });
    assert.equal(res.statusCode, 200);
    const turn = res.json().ice_servers.find((s: { username?: string }) => s.username);
    const [expiry, userId] = turn.username.split(':');
    assert.equal(userId, patient.id);
    assert.ok(Number(expiry) > Date.now() / 1000 + 3000);
    assert.equal(turn.credential, createHmac('sha1', 'a-long-turn-shared-secret').update(turn.username).digest('base64'));
  });

  await t.test('tokens: 404 for non-parties first, then 503 when no provider is configured', async () => {
    assert.equal((await built.app.inject({ method: 'GET', url: `/api/v1/appointments/${soon}/token`, headers: other.auth })).statusCode, 404);
    assert.equal((await built.app.inject({ method: 'GET', url: `/api/v1/video/token?channel=appt-${soon}`, headers: other.auth })).statusCode, 404);
    const res = await built.app.inject({ method: 'GET', url: `/api/v1/appointments/${soon}/token`, headers: patient.auth });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().title, 'Video provider not configured');
  });
});

test('video tokens: Agora AccessToken2 and LiveKit JWT, decoded and verified', async (t) => {
  const agoraApp = await build(t, {}, AGORA);
  const [doctor, patient] = await Promise.all([createUser(agoraApp, 'doctor'), createUser(agoraApp, 'patient')]);
  const id = await appointment(agoraApp, doctor, patient, 60);
  const res = await agoraApp.app.inject({ method: 'GET', url: `/api/v1/appointments/${id}/token`, headers: patient.auth });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.equal(body.provider, 'agora');
  assert.ok(body.token.startsWith('007'), 'AccessToken2 tokens start with version 007');
  const parsed = new AccessToken2();
  assert.equal(parsed.from_string(body.token), true);
  assert.equal(String(parsed.appId), AGORA.AGORA_APP_ID);
  const rtc = parsed.services.find((s) => s.service_type() === kRtcServiceType);
  assert.equal(String(rtc?.__channel_name), `appt-${id}`);
  assert.equal(String(rtc?.__uid), String(agoraUid(patient.id)));
  assert.ok(parsed.expire >= 3600, 'valid until after the slot');
  assert.equal(parsed.verifySignature(AGORA.AGORA_APP_CERTIFICATE), true, 'signed with the app certificate');
  assert.equal(parsed.verifySignature('00000000000000000000000000000000'), false);
  const viaChannel = await agoraApp.app.inject({ method: 'GET', url: `/api/v1/video/token?channel=appt-${id}`, headers: doctor.auth });
  assert.equal(viaChannel.json().channel, `appt-${id}`);

  const lk = await build(
    t,
    {},
    { LIVEKIT_URL: 'wss://livekit.example.org', LIVEKIT_API_KEY: 'APIkey123', LIVEKIT_API_SECRET: 'a-livekit-secret-of-decent-length-123456' },
  );
  const [d2, p2] = await Promise.all([createUser(lk, 'doctor'), createUser(lk, 'patient')]);
  const id2 = await appointment(lk, d2, p2, 60);
  const lkRes = await lk.app.inject({ method: 'GET', url: `/api/v1/appointments/${id2}/token`, headers: d2.auth });
  assert.equal(lkRes.statusCode, 200, lkRes.body);
  assert.equal(lkRes.json().provider, 'livekit');
  const claims = await new TokenVerifier('APIkey123', 'a-livekit-secret-of-decent-length-123456').verify(lkRes.json().token);
  assert.equal(claims.sub, d2.id);
  assert.equal(claims.video?.room, `appt-${id2}`);
  assert.equal(claims.video?.roomJoin, true);
  await assert.rejects(new TokenVerifier('APIkey123', 'wrong-secret-wrong-secret-wrong-secret').verify(lkRes.json().token));
});
