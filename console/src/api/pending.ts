// Answers of the journeys, segments and imports routes as the plan describes them, until
// their models are in schema.json (then these names come from ./types instead).
import type { MemberRow } from "./types";

export interface Period {
  from: string;
  to: string;
  zone: string;
}

export interface JourneyRow {
  id: string;
  name: string;
  trigger: string;
  version: string;
  entered: number;
  active: number;
  converted: number;
}

export interface JourneyList {
  items: JourneyRow[];
  period: Period;
}

export interface NodeCounts {
  entered: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  converted: number;
  waiting: number;
}

export interface GraphNode {
  id: string;
  kind: string;
  label: string;
  detail: string;
  counts: NodeCounts;
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
  count: number | null;
}

export interface JourneyPage {
  journey: {
    id: string;
    name: string;
    description: string | null;
    trigger: string;
    version: string;
    holdout: number;
    goals: string[];
  };
  period: Period;
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
  funnel: {
    entered: number;
    held_out: number;
    converted: number;
    completed: number;
    exited: number;
    conversion_rate: number | null;
  };
  holdout: {
    held_out: number;
    conversion_rate: number | null;
    holdout_conversion_rate: number | null;
    lift: number | null;
  };
  arms: {
    split: string;
    arm: number;
    goto: string | null;
    weight: number | null;
    entered: number;
    converted: number;
    conversion_rate: number | null;
    revenue: number;
  }[];
  revenue: { total: number; holdout: number; per_conversion: number | null };
  series: {
    day: string;
    entered: number;
    converted: number;
    revenue: number;
    revenue_holdout: number;
    completed: number;
    exited: number;
    conversion_rate: number | null;
  }[];
  waiting_limit: number;
}

export interface StepMember {
  member_id: string;
  name: string | null;
  state: string;
  waiting_for: string | null;
  waiting_until: string | null;
  entered_at: string;
  version: string;
  holdout: boolean;
}

export interface StepMembers {
  journey: string;
  step: string;
  items: StepMember[];
  next: string | null;
}

export interface SegmentRow {
  id: string;
  name: string;
  description: string | null;
  where: string;
  size: number;
  size_exact: boolean;
}

export interface SegmentList {
  items: SegmentRow[];
}

export interface SegmentPage {
  segment: SegmentRow;
  size: number;
  size_exact: boolean;
  items: MemberRow[];
  next: string | null;
}

export interface ImportProblem {
  line: number;
  column: string | null;
  reason: string;
}

export interface ImportPreview {
  encoding: string;
  columns: string[];
  mapping: Record<string, string | null>;
  fields?: string[];
  rows: { line: number; values: Record<string, string> | string[]; problems?: ImportProblem[] }[];
  problems: ImportProblem[];
}

export interface ImportStarted {
  import_id: string;
}

export interface ChunkAnswer {
  applied: number;
  rejected: number;
}
