import { refreshSession, session } from './api/client';

/**
 * One video visit's call (docs/REALTIME.md, "Video"): the appointment's signalling socket and,
 * once someone calls, one RTCPeerConnection to the other party. The server relays offer, answer,
 * ice_candidate and hangup between the two parties only; media goes browser to browser (ICE
 * servers come from the `joined` frame — the server's STUN/TURN settings, none by default, when
 * host candidates suffice, as on one machine or one network).
 *
 * The flow: both parties open the visit and wait for each other; either may then call (the
 * doctor usually does); the other answers or declines; either hangs up. Calling at the same
 * moment from both sides ("glare") is settled by role: the patient's side gives way and answers.
 */
export type CallPhase =
  /** Opening the signalling socket. */
  | 'connecting'
  /** In the visit; the other party is not. */
  | 'waiting'
  /** Both are in the visit; no call. */
  | 'ready'
  /** An offer is out; waiting for an answer. */
  | 'calling'
  /** The other party is calling. */
  | 'ringing'
  | 'in-call'
  /** The socket was refused (not a party, outside the visit's time) or the visit ended. */
  | 'closed';

export interface CallState {
  phase: CallPhase;
  /** RTCPeerConnection.connectionState during a call ('new', 'connecting', 'connected', …). */
  connection: RTCPeerConnectionState | null;
  localStream: MediaStream | null;
  remoteStream: MediaStream | null;
  micOn: boolean;
  cameraOn: boolean;
  /** What just happened, for the page's status line ("Dr Ada declined the call."). */
  notice: string | null;
  /** Why the visit cannot go on or an action failed (the server's own words when it gave some). */
  error: string | null;
}

/** A connection the call moved on from (hung up, or replaced while the camera was being opened). */
function release(pc: RTCPeerConnection) {
  pc.getSenders().forEach((sender) => sender.track?.stop());
  pc.close();
}

type Frame = { type: string; [key: string]: unknown };

/** Close codes after which reconnecting cannot help (docs/REALTIME.md: 4404 not a party, 4409 outside the window). */
const FINAL = new Set([4403, 4404, 4409]);

export class VisitCall {
  state: CallState = { phase: 'connecting', connection: null, localStream: null, remoteStream: null, micOn: true, cameraOn: true, notice: null, error: null };
  private ws: WebSocket | null = null;
  private ice: RTCIceServer[] = [];
  /** Peers of the other party in the room (one per tab they have open), newest last. */
  private peers: string[] = [];
  /** The peer of the call in progress (calling, ringing or in a call). */
  private callPeer: string | null = null;
  private pc: RTCPeerConnection | null = null;
  private pendingOffer: string | null = null;
  /** Candidates that arrive before the remote description is set. */
  private pendingCandidates: RTCIceCandidateInit[] = [];
  private stopped = false;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly appointmentId: string,
    /** The other party's name for messages ("Dr Ada Portal is calling."). */
    private other: string,
    /** The patient's side gives way when both call at once. */
    private readonly polite: boolean,
    private readonly onChange: (state: CallState) => void,
  ) {}

  setOtherName(name: string) {
    this.other = name;
  }

  start() {
    this.connect(false);
  }

  /** Leaving the page: hang up, release the camera, close the socket. */
  stop() {
    if (this.callPeer) this.send({ type: 'hangup', reason: 'left', to: this.callPeer });
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.endCall();
    const ws = this.ws;
    this.ws = null;
    if (ws?.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close(1000, 'left');
    else ws?.close(1000, 'left');
  }

  private update(patch: Partial<CallState>) {
    this.state = { ...this.state, ...patch };
    this.onChange(this.state);
  }

  private send(frame: Frame) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private connect(refreshed: boolean) {
    const token = session.accessToken();
    if (this.stopped || !token) return;
    // The signalling endpoint takes the token in the URL (the server logs route patterns, never URLs).
    const ws = new WebSocket(
      `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws/video/${this.appointmentId}?token=${encodeURIComponent(token)}`,
    );
    this.ws = ws;
    let refusal: string | null = null;
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data)) as Frame;
      } catch {
        return;
      }
      if (frame.type === 'error') refusal = typeof frame.detail === 'string' ? frame.detail : null;
      else this.onFrame(frame).catch((err: unknown) => this.failed(err));
    };
    ws.onclose = (event) => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      this.peers = [];
      if (FINAL.has(event.code) || event.reason === 'appointment ended') {
        this.endCall();
        this.update({ phase: 'closed', error: refusal ?? (event.code === 1000 ? 'The appointment has ended.' : 'The video visit is not available.') });
        return;
      }
      // An expired access token: refresh once, then join again at once.
      if (event.code === 4401 && !refreshed) {
        void refreshSession().then((ok) =>
          ok ? this.connect(true) : this.update({ phase: 'closed', error: 'Your session has ended. Please sign in again.' }),
        );
        return;
      }
      // A dropped socket (network, server restart): a call in progress keeps its media, which
      // does not go through the server; the socket comes back with backoff.
      if (!this.pc) this.update({ phase: 'connecting' });
      const delay = Math.min(15_000, 1000 * 2 ** this.retries++);
      this.retryTimer = setTimeout(() => this.connect(false), delay);
    };
  }

  private async onFrame(frame: Frame) {
    const from = typeof frame.from === 'string' ? frame.from : null;
    switch (frame.type) {
      case 'joined':
        this.retries = 0;
        this.ice = Array.isArray(frame.ice) ? (frame.ice as RTCIceServer[]) : [];
        if (!this.pc) this.update({ phase: 'waiting', error: null });
        return;
      case 'peer_joined':
        // Our own user in another tab is not the other party.
        if (frame.user_id === session.user?.id || typeof frame.peer_id !== 'string') return;
        this.peers = [...this.peers.filter((p) => p !== frame.peer_id), frame.peer_id];
        // The other side's signalling socket came back during the call (media never stopped): its
        // new peer id is where the call's frames go now, and where its hangup comes from.
        if (this.callPeer && this.state.phase === 'in-call' && !this.peers.includes(this.callPeer)) this.callPeer = frame.peer_id;
        if (this.state.phase === 'waiting') this.update({ phase: 'ready', notice: `${this.other} has joined the visit.` });
        return;
      case 'peer_left': {
        this.peers = this.peers.filter((p) => p !== frame.peer_id);
        const phase = this.state.phase;
        // A call whose media still flows outlives the other side's signalling socket (it reconnects).
        if (frame.peer_id === this.callPeer && phase === 'in-call' && this.pc?.connectionState === 'connected') {
          // Its socket may already be back under a new peer id (then that one is the call's peer).
          if (this.peers.length) this.callPeer = this.peers.at(-1)!;
        } else if (frame.peer_id === this.callPeer) {
          this.endCall();
          this.update({ phase: this.peers.length ? 'ready' : 'waiting', notice: `${this.other} left the visit.` });
        } else if (!this.callPeer && this.peers.length === 0 && phase === 'ready') {
          this.update({ phase: 'waiting', notice: `${this.other} left the visit.` });
        }
        return;
      }
      case 'offer':
        if (!from || typeof frame.sdp !== 'string') return;
        if (this.state.phase === 'calling') {
          // Both called at once: the doctor's offer stands; the patient's side answers it.
          if (!this.polite) return;
          this.dropPeerConnection();
          this.callPeer = from;
          this.pendingOffer = frame.sdp;
          await this.answer();
          return;
        }
        if (this.callPeer && this.callPeer !== from) return this.send({ type: 'hangup', reason: 'busy', to: from });
        if (this.pc && this.callPeer === from) {
          // A renegotiation inside the call (not sent by this portal, but harmless to follow).
          await this.pc.setRemoteDescription({ type: 'offer', sdp: frame.sdp });
          const answer = await this.pc.createAnswer();
          await this.pc.setLocalDescription(answer);
          return this.send({ type: 'answer', sdp: answer.sdp ?? '', to: from });
        }
        this.callPeer = from;
        this.pendingOffer = frame.sdp;
        this.pendingCandidates = [];
        this.update({ phase: 'ringing', notice: `${this.other} is calling.`, error: null });
        return;
      case 'answer':
        if (from !== this.callPeer || !this.pc || typeof frame.sdp !== 'string' || this.state.phase !== 'calling') return;
        await this.pc.setRemoteDescription({ type: 'answer', sdp: frame.sdp });
        await this.flushCandidates();
        this.update({ phase: 'in-call', notice: `${this.other} answered.` });
        return;
      case 'ice_candidate': {
        if (from !== this.callPeer || !frame.candidate) return;
        const candidate = frame.candidate as RTCIceCandidateInit;
        if (this.pc?.remoteDescription) await this.pc.addIceCandidate(candidate).catch(() => undefined);
        else this.pendingCandidates.push(candidate);
        return;
      }
      case 'hangup': {
        // The server ends every call when the slot is over (from: null).
        if (frame.from === null) {
          this.endCall();
          this.update({ phase: 'closed', error: typeof frame.reason === 'string' ? frame.reason : 'The appointment has ended.' });
          return;
        }
        if (from !== this.callPeer) return;
        const phase = this.state.phase;
        const reason = frame.reason;
        const notice =
          reason === 'declined'
            ? `${this.other} declined the call.`
            : reason === 'busy'
              ? `${this.other} is in a call on another device.`
              : phase === 'ringing'
                ? `${this.other} stopped calling.`
                : phase === 'calling'
                  ? `${this.other} could not answer.`
                  : `${this.other} hung up. The call has ended.`;
        this.endCall();
        this.update({ phase: this.peers.length ? 'ready' : 'waiting', notice });
        return;
      }
      default:
        return;
    }
  }

  /** Calls the other party (their newest tab). */
  async call() {
    const to = this.peers.at(-1);
    if (!to || this.state.phase !== 'ready') return;
    this.callPeer = to;
    this.update({ phase: 'calling', notice: `Calling ${this.other}…`, error: null });
    const pc = await this.peerConnection();
    if (!pc) return;
    if (this.pc !== pc) return release(pc);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (this.pc !== pc) return release(pc);
    this.send({ type: 'offer', sdp: offer.sdp ?? '', to });
  }

  /** A step of the call that threw (a description the browser refused): end the call, say so. */
  failed(err: unknown) {
    if (this.callPeer) this.send({ type: 'hangup', reason: 'failed', to: this.callPeer });
    this.endCall();
    this.update({
      phase: this.state.phase === 'closed' ? 'closed' : this.peers.length ? 'ready' : 'waiting',
      notice: null,
      error: `The call could not be set up (${err instanceof Error ? err.message : String(err)}). Try again.`,
    });
  }

  async answer() {
    const from = this.callPeer;
    const sdp = this.pendingOffer;
    if (!from || !sdp) return;
    this.pendingOffer = null;
    this.update({ phase: 'in-call', notice: 'Connecting…', error: null });
    const pc = await this.peerConnection();
    if (!pc) return;
    if (this.pc !== pc) return release(pc);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await this.flushCandidates();
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (this.pc !== pc) return release(pc);
    this.send({ type: 'answer', sdp: answer.sdp ?? '', to: from });
  }

  decline() {
    if (this.state.phase !== 'ringing' || !this.callPeer) return;
    this.send({ type: 'hangup', reason: 'declined', to: this.callPeer });
    this.endCall();
    this.update({ phase: this.peers.length ? 'ready' : 'waiting', notice: 'You declined the call.' });
  }

  /** Hangs up a call in progress, or stops calling. */
  hangUp() {
    if (!this.callPeer) return;
    const calling = this.state.phase === 'calling';
    this.send({ type: 'hangup', reason: calling ? 'cancelled' : 'ended', to: this.callPeer });
    this.endCall();
    this.update({ phase: this.peers.length ? 'ready' : 'waiting', notice: calling ? 'You stopped calling.' : 'You hung up. The call has ended.' });
  }

  toggleMic() {
    const on = !this.state.micOn;
    this.state.localStream?.getAudioTracks().forEach((track) => (track.enabled = on));
    this.update({ micOn: on, notice: on ? 'Your microphone is on.' : 'Your microphone is off.' });
  }

  toggleCamera() {
    const on = !this.state.cameraOn;
    this.state.localStream?.getVideoTracks().forEach((track) => (track.enabled = on));
    this.update({ cameraOn: on, notice: on ? 'Your camera is on.' : 'Your camera is off.' });
  }

  /** Camera and microphone (the microphone alone if there is no camera), then the connection. */
  private async peerConnection(): Promise<RTCPeerConnection | null> {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true }).catch(() => navigator.mediaDevices.getUserMedia({ audio: true }));
    } catch (err) {
      const peer = this.callPeer;
      if (peer) this.send({ type: 'hangup', reason: 'no_media', to: peer });
      this.endCall();
      const why = err instanceof DOMException && err.name === 'NotAllowedError' ? 'the browser was not allowed to use them' : 'none was found';
      this.update({
        phase: this.peers.length ? 'ready' : 'waiting',
        notice: null,
        error: `The call needs your microphone, and ${why}. Check the browser's permissions and try again.`,
      });
      return null;
    }
    // Hung up while the browser asked for the camera.
    if (!this.callPeer || this.stopped) {
      stream.getTracks().forEach((track) => track.stop());
      return null;
    }
    const pc = new RTCPeerConnection({ iceServers: this.ice });
    this.pc = pc;
    const peer = this.callPeer;
    stream.getTracks().forEach((track) => pc.addTrack(track, stream));
    pc.onicecandidate = (event) => {
      if (this.pc === pc) this.send({ type: 'ice_candidate', candidate: event.candidate ? event.candidate.toJSON() : null, to: this.callPeer ?? peer });
    };
    pc.ontrack = (event) => {
      if (this.pc === pc) this.update({ remoteStream: event.streams[0] ?? new MediaStream([event.track]) });
    };
    pc.onconnectionstatechange = () => {
      if (this.pc !== pc) return;
      this.update({ connection: pc.connectionState });
      if (pc.connectionState === 'failed') {
        this.send({ type: 'hangup', reason: 'failed', to: this.callPeer ?? peer });
        this.endCall();
        this.update({
          phase: this.peers.length ? 'ready' : 'waiting',
          notice: null,
          error: `The connection to ${this.other} failed (a firewall may block it). Try calling again.`,
        });
      }
    };
    this.update({ localStream: stream, connection: pc.connectionState, micOn: true, cameraOn: stream.getVideoTracks().length > 0 });
    return pc;
  }

  private async flushCandidates() {
    const pc = this.pc;
    const pending = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of pending) await pc?.addIceCandidate(candidate).catch(() => undefined);
  }

  private dropPeerConnection() {
    const pc = this.pc;
    this.pc = null;
    if (pc) release(pc);
    this.state.localStream?.getTracks().forEach((track) => track.stop());
    this.state = { ...this.state, localStream: null, remoteStream: null, connection: null };
  }

  private endCall() {
    this.dropPeerConnection();
    this.callPeer = null;
    this.pendingOffer = null;
    this.pendingCandidates = [];
  }
}
