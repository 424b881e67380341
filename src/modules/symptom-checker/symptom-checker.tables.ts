import type { Generated, JSONColumnType } from 'kysely';
import type { InterviewState, ModelAdjustments } from './index.js';

export interface SymptomSessionsTable {
  id: Generated<string>;
  user_id: string;
  state: JSONColumnType<InterviewState, string, string>;
  finished: Generated<boolean>;
  triage_level: string;
  top_condition_id: string | null;
  top_condition_name: string | null;
  questions_asked: Generated<number>;
  kb_version: string;
  model_version: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  expires_at: Date;
}

export interface SymptomFeedbackTable {
  id: Generated<string>;
  session_id: string;
  user_id: string;
  actual_condition: string | null;
  helpful: boolean;
  rating: number | null;
  comment: string | null;
  created_at: Generated<Date>;
  applied_in: string | null;
}

export interface SymptomModelVersionsTable {
  id: Generated<string>;
  adjustments: JSONColumnType<ModelAdjustments, string, string>;
  feedback_applied: number;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  created_by: string | null;
  note: string | null;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    symptom_sessions: SymptomSessionsTable;
    symptom_feedback: SymptomFeedbackTable;
    symptom_model_versions: SymptomModelVersionsTable;
  }
}
