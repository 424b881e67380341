import type { Generated, JSONColumnType } from 'kysely';

export type JobState = 'scheduled' | 'active' | 'completed' | 'failed';
export const JOB_STATES: readonly JobState[] = ['scheduled', 'active', 'completed', 'failed'];

export interface JobsTable {
  id: Generated<string>;
  queue: string;
  payload: JSONColumnType<Record<string, unknown>, string, string>;
  state: Generated<JobState>;
  key: string | null;
  run_at: Generated<Date>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  lease_token: string | null;
  locked_until: Date | null;
  last_error: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  finished_at: Date | null;
}

declare module '../database/schema.js' {
  interface Database {
    jobs: JobsTable;
  }
}
