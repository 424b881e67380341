import type { AppModule } from '../platform/context.js';
import { auditModule } from './audit/index.js';
import { filesModule } from './files/index.js';
import { chatModule } from './chat/index.js';
import { videoModule } from './video/index.js';
import { schedulingModule } from './scheduling/index.js';
import { medicalModule } from './medical/index.js';
import { reportsModule } from './reports/index.js';
import { assistantsModule } from './assistants/index.js';
import { emergencyModule } from './emergency/index.js';
import { symptomCheckerModule } from './symptom-checker/index.js';
import { infectionsModule } from './infections/index.js';
import { notificationsModule } from './notifications/index.js';
import { fhirModule } from './fhir/index.js';

/**
 * Feature modules, in registration order. Each lives in src/modules/<area>/ and exports
 * its AppModule from its index.ts; its services are built in services.ts. Identity is
 * registered first by app.ts, since the authentication of every other route depends on it.
 */
export const modules: AppModule[] = [
  auditModule,
  filesModule,
  chatModule,
  videoModule,
  schedulingModule,
  medicalModule,
  reportsModule,
  emergencyModule,
  symptomCheckerModule,
  infectionsModule,
  fhirModule,
  notificationsModule,
  assistantsModule,
];
