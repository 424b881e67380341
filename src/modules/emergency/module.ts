import type { AppModule } from '../../platform/context.js';
import { emergencyRoutes } from './emergency.routes.js';

/** HTTP surface of the emergency detector; the detector itself (detector.ts) is pure. */
export const emergencyModule: AppModule = {
  name: 'emergency',
  routes: (app, ctx) => emergencyRoutes(app, ctx.events),
};
