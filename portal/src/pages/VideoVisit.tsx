import { useEffect, useRef, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { VisitCall, type CallState } from '../call';
import { formatDateTime, formatTime, validTimeZone } from '../format';
import { linkClick } from '../router';
import { Alert, Page, Status } from '../ui';

type Appointment = Schemas['Appointment'];

/**
 * The video visit of one appointment (/visits/<id>), for its patient and its doctor: a waiting
 * room until both are in, then a call (src/call.ts). Everything that happens is said in the
 * status line, which screen readers announce; the buttons say what they do to whom.
 */
export function VideoVisit(props: { user: User; appointmentId: string }) {
  const { user, appointmentId } = props;
  const timeZone = validTimeZone(user.time_zone);
  const [appointment, setAppointment] = useState<Appointment | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [state, setState] = useState<CallState | null>(null);
  const call = useRef<VisitCall | null>(null);
  const other = appointment ? (user.id === appointment.patient_id ? appointment.doctor_name : appointment.patient_name) : 'The other party';

  useEffect(() => {
    // The socket decides who may join (the appointment's two parties, inside its time): it opens
    // at once, while the appointment's details load.
    const visit = new VisitCall(appointmentId, 'The other party', user.role === 'patient', (next) => setState(next));
    call.current = visit;
    setState(visit.state);
    visit.start();
    let cancelled = false;
    api
      .GET('/api/v1/appointments/{id}', { params: { path: { id: appointmentId } } })
      .then(({ data, error }) => {
        if (cancelled) return;
        if (!data) return setLoadError(problemText(error, 'This appointment could not be loaded.'));
        visit.setOtherName(user.id === data.patient_id ? data.doctor_name : data.patient_name);
        setAppointment(data);
      })
      .catch((err) => !cancelled && setLoadError(networkText(err)));
    return () => {
      cancelled = true;
      visit.stop();
      call.current = null;
    };
  }, [appointmentId]);

  const act = (action: (visit: VisitCall) => unknown) => () => {
    const visit = call.current;
    if (!visit) return;
    void Promise.resolve()
      .then(() => action(visit))
      .catch((err: unknown) => visit.failed(err));
  };

  const phase = state?.phase ?? 'connecting';
  const back = user.role === 'patient' ? { href: '/appointments', name: 'Back to your appointments' } : { href: '/schedule', name: 'Back to your schedule' };
  const inCall = phase === 'in-call' || phase === 'calling';

  return (
    <Page title={appointment ? `Video visit with ${other}` : 'Video visit'}>
      {appointment && (
        <p class="muted">
          {formatDateTime(appointment.start, timeZone)}–{formatTime(appointment.end, timeZone)} ({timeZone.replace(/_/g, ' ')})
        </p>
      )}
      <Alert message={loadError ?? state?.error ?? null} />
      <Status message={state?.notice ?? null} />
      {phase === 'connecting' && <p>Opening the visit…</p>}
      {phase === 'waiting' && <p>You are in the waiting room. {other} has not joined yet; this page changes when they do.</p>}
      {phase === 'ready' && (
        <>
          <p>{other} is here.</p>
          <div class="actions">
            <button type="button" onClick={act((v) => v.call())}>
              Call {other}
            </button>
          </div>
        </>
      )}
      {phase === 'ringing' && (
        <section class="card ringing" aria-labelledby="ringing-heading">
          <h2 id="ringing-heading">{other} is calling</h2>
          <div class="actions">
            <button type="button" onClick={act((v) => v.answer())}>
              Answer
            </button>
            <button type="button" class="secondary danger" onClick={act((v) => v.decline())}>
              Decline
            </button>
          </div>
        </section>
      )}
      {inCall && state && (
        <section aria-labelledby="call-heading">
          <h2 id="call-heading">{phase === 'calling' ? `Calling ${other}…` : `In a call with ${other}`}</h2>
          <p class="muted">Connection: {state.connection === 'connected' ? 'connected' : state.connection === 'failed' ? 'failed' : 'connecting…'}</p>
          <div class="call-videos">
            <figure class="remote-video">
              <Video stream={state.remoteStream} muted={false} />
              <figcaption>{other}</figcaption>
            </figure>
            <figure class="local-video">
              <Video stream={state.localStream} muted />
              <figcaption>You{state.cameraOn ? '' : ' (camera off)'}</figcaption>
            </figure>
          </div>
          <div class="actions">
            <button type="button" class="secondary" aria-pressed={!state.micOn} onClick={act((v) => v.toggleMic())}>
              Mute microphone
            </button>
            <button type="button" class="secondary" aria-pressed={!state.cameraOn} onClick={act((v) => v.toggleCamera())}>
              Turn camera off
            </button>
            <button type="button" class="secondary danger" onClick={act((v) => v.hangUp())}>
              {phase === 'calling' ? 'Stop calling' : 'Hang up'}
            </button>
          </div>
        </section>
      )}
      <p>
        <a href={back.href} onClick={linkClick}>
          {back.name}
        </a>
      </p>
    </Page>
  );
}

/** A <video> showing a stream (the own one muted, so the speaker does not hear themselves). */
function Video(props: { stream: MediaStream | null; muted: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (video && video.srcObject !== props.stream) video.srcObject = props.stream;
  }, [props.stream]);
  return <video ref={ref} autoPlay playsInline muted={props.muted} />;
}

/**
 * In a conversation between a patient and their doctor: a link to their next video visit that
 * has not ended (within a day), so either can go from the chat to the call.
 */
export function VisitLink(props: { user: User; otherId: string }) {
  const { user, otherId } = props;
  const [next, setNext] = useState<Appointment | null>(null);
  useEffect(() => {
    api
      .GET('/api/v1/appointments', { params: { query: { limit: 100, sort: '-start' } } })
      .then(({ data }) => {
        const now = Date.now();
        const visits = (data?.items ?? []).filter(
          (a) =>
            a.type === 'video' &&
            (a.status === 'scheduled' || a.status === 'confirmed' || a.status === 'in_progress') &&
            (user.role === 'patient' ? a.doctor_id : a.patient_id) === otherId &&
            Date.parse(a.end) > now &&
            Date.parse(a.start) < now + 24 * 3600_000,
        );
        setNext(visits.at(-1) ?? null);
      })
      // The link is a shortcut; the appointment pages have it too.
      .catch(() => undefined);
  }, [otherId]);
  if (!next) return null;
  const zone = validTimeZone(user.time_zone);
  const name = user.role === 'patient' ? next.doctor_name : next.patient_name;
  return (
    <p>
      <a class="button" href={`/visits/${next.id}`} onClick={linkClick}>
        Join the video visit with {name} at {formatTime(next.start, zone)}
      </a>
    </p>
  );
}
