import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, onSessionChange, refreshSession, session } from './api/client';
import { linkClick, navigate, usePath } from './router';
import { SignIn } from './pages/SignIn';
import { SignUp } from './pages/SignUp';
import { FindDoctor } from './pages/FindDoctor';
import { Appointments } from './pages/Appointments';
import { Records, Prescriptions, LabReports } from './pages/Records';
import { Schedule } from './pages/Schedule';
import { Approvals } from './pages/Approvals';
import { Availability } from './pages/Availability';
import { Conversation, Conversations } from './pages/Messages';
import { SymptomChecker } from './pages/SymptomChecker';
import { Notifications } from './pages/Notifications';
import { PatientChart, Patients } from './pages/PatientChart';
import { Users } from './pages/Users';
import { SmartAuthorize } from './pages/SmartAuthorize';
import { Security } from './pages/Security';
import { Urgent } from './pages/Urgent';
import { Audit } from './pages/Audit';
import { Jobs } from './pages/Jobs';
import { VideoVisit } from './pages/VideoVisit';
import { liveSession } from './live';
import { refreshUnread, useUnread } from './unread';
import { Page } from './ui';
import './styles.css';

const NOTIFICATIONS = { path: '/notifications', name: 'Notifications' };
const MESSAGES = { path: '/messages', name: 'Messages' };
const SECURITY = { path: '/security', name: 'Security' };
const PATIENT_PAGES = [
  { path: '/appointments', name: 'Appointments' },
  { path: '/doctors', name: 'Find a doctor' },
  MESSAGES,
  { path: '/symptom-checker', name: 'Symptom checker' },
  { path: '/records', name: 'Records' },
  { path: '/prescriptions', name: 'Prescriptions' },
  { path: '/lab-reports', name: 'Lab reports' },
  NOTIFICATIONS,
  SECURITY,
];

const CLINICIAN_PAGES = [{ path: '/schedule', name: 'Schedule' }, { path: '/urgent', name: 'Urgent' }, { path: '/patients', name: 'Patients' }, MESSAGES];
const DOCTOR_PAGES = [...CLINICIAN_PAGES, { path: '/availability', name: 'Availability' }, NOTIFICATIONS, SECURITY];
const NURSE_PAGES = [...CLINICIAN_PAGES, NOTIFICATIONS, SECURITY];
const ADMIN_PAGES = [
  { path: '/approvals', name: 'Approvals' },
  { path: '/users', name: 'Users' },
  { path: '/audit', name: 'Audit log' },
  { path: '/jobs', name: 'Jobs and health' },
  MESSAGES,
  NOTIFICATIONS,
  SECURITY,
];

function useSession() {
  const [, setTick] = useState(0);
  useEffect(() => onSessionChange(() => setTick((n) => n + 1)), []);
  return session.user;
}

/** The socket and the badge follow the signed-in user (a new sign-in, another user: reconnect). */
function useLive(userId: string | null) {
  useEffect(() => {
    liveSession(userId !== null);
    if (userId) void refreshUnread();
    return () => liveSession(false);
  }, [userId]);
}

/** The Notifications link carries the unread count: "Notifications 3 unread" to a screen reader. */
function NavName(props: { page: { path: string; name: string } }) {
  const unread = useUnread();
  if (props.page !== NOTIFICATIONS || unread === 0) return <>{props.page.name}</>;
  return (
    <>
      {props.page.name}{' '}
      <span class="badge">
        {unread > 99 ? '99+' : unread}
        <span class="sr-only"> unread</span>
      </span>
    </>
  );
}

function App() {
  const path = usePath();
  const user = useSession();
  useLive(user?.id ?? null);
  // A reload keeps the session: the refresh token of this tab buys a new access token.
  const [restoring, setRestoring] = useState(() => !session.user && session.hasRefreshToken());
  useEffect(() => {
    if (!restoring) return;
    void refreshSession().then((ok) => {
      if (!ok) session.end('expired');
      setRestoring(false);
    });
  }, [restoring]);

  if (restoring) return <p class="muted">Signing you in…</p>;

  if (!user) {
    const page = path === '/sign-up' ? <SignUp /> : <SignIn />;
    return (
      <>
        <header class="top">
          <a class="brand" href="/" onClick={linkClick}>
            CareBridge
          </a>
        </header>
        <main id="main">{page}</main>
      </>
    );
  }

  const clinician = user.role === 'doctor' || user.role === 'nurse';
  const pages =
    user.role === 'patient'
      ? PATIENT_PAGES
      : user.role === 'doctor'
        ? DOCTOR_PAGES
        : user.role === 'nurse'
          ? NURSE_PAGES
          : user.role === 'admin'
            ? ADMIN_PAGES
            : [];
  const home = pages[0]?.path ?? '/welcome';
  let content;
  const room = /^\/messages\/([0-9a-f-]{36})$/.exec(path)?.[1];
  const chart = /^\/patients\/([0-9a-f-]{36})$/.exec(path)?.[1];
  const visit = /^\/visits\/([0-9a-f-]{36})$/.exec(path)?.[1];
  const chatting = user.role === 'patient' || clinician || user.role === 'admin';
  if (path === '/' || path === '/sign-in' || path === '/sign-up') content = <Redirect to={home} />;
  // SMART App Launch consent (GET /oauth/authorize sends the browser here, after sign-in if needed).
  else if (path === '/smart/authorize') content = <SmartAuthorize user={user} />;
  else if (chatting && path === '/messages') content = <Conversations user={user} />;
  else if (chatting && room) content = <Conversation key={room} user={user} roomId={room} />;
  else if (user.role === 'patient' && path === '/symptom-checker') content = <SymptomChecker />;
  // A video visit: the appointment's patient and doctor (the server refuses anyone else).
  else if ((user.role === 'patient' || user.role === 'doctor') && visit) content = <VideoVisit key={visit} user={user} appointmentId={visit} />;
  else if (path === '/notifications') content = <Notifications user={user} />;
  else if (path === '/security') content = <Security user={user} />;
  else if (clinician && path === '/urgent') content = <Urgent user={user} />;
  else if (clinician && path === '/patients') content = <Patients user={user} />;
  else if (clinician && chart) content = <PatientChart key={chart} user={user} patientId={chart} />;
  else if (user.role === 'admin' && path === '/users') content = <Users user={user} />;
  else if (user.role === 'admin' && path === '/audit') content = <Audit user={user} />;
  else if (user.role === 'admin' && path === '/jobs') content = <Jobs user={user} />;
  else if (user.role === 'patient' && path === '/appointments') content = <Appointments user={user} />;
  else if (user.role === 'patient' && path === '/doctors') content = <FindDoctor user={user} />;
  else if (user.role === 'patient' && path === '/records') content = <Records user={user} />;
  else if (user.role === 'patient' && path === '/prescriptions') content = <Prescriptions user={user} />;
  else if (user.role === 'patient' && path === '/lab-reports') content = <LabReports user={user} />;
  else if (clinician && path === '/schedule') content = <Schedule user={user} />;
  else if (user.role === 'doctor' && path === '/availability') content = <Availability user={user} />;
  else if (user.role === 'admin' && path === '/approvals') content = <Approvals user={user} />;
  else if (path === '/welcome') content = <StaffHome />;
  else content = <NotFound home={home} />;

  return (
    <>
      <a class="skip" href="#main">
        Skip to main content
      </a>
      <header class="top">
        <a class="brand" href="/" onClick={linkClick}>
          CareBridge
        </a>
        <span class="who">{user.full_name}</span>
        <button type="button" class="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      {pages.length > 0 && (
        <nav aria-label="Main">
          <ul>
            {pages.map((page) => (
              <li key={page.path}>
                <a href={page.path} onClick={linkClick} aria-current={path === page.path ? 'page' : path.startsWith(`${page.path}/`) ? 'true' : undefined}>
                  <NavName page={page} />
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main id="main">{content}</main>
    </>
  );
}

async function signOut() {
  const refreshToken = session.refreshToken();
  // Revoke the session server-side; the portal forgets its tokens whatever the reply.
  await api.POST('/api/v1/auth/logout', { body: refreshToken ? { refresh_token: refreshToken } : {} }).catch(() => undefined);
  session.end('signed-out');
  navigate('/', { replace: true });
}

function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to, { replace: true }), [props.to]);
  return null;
}

function StaffHome() {
  return (
    <Page title="Welcome">
      <p>The portal has no pages for your role yet. Until it does, use the API documentation:</p>
      <p>
        <a href="/docs">Open the API documentation</a>
      </p>
    </Page>
  );
}

function NotFound(props: { home: string }) {
  return (
    <Page title="Page not found">
      <p>There is no page at this address.</p>
      <p>
        <a href={props.home} onClick={linkClick}>
          Go to your start page
        </a>
      </p>
    </Page>
  );
}

render(<App />, document.getElementById('app')!);
