// The journeys' and segments' answers come from the API's schema (./types); the imports'
// are written here as the plan describes them, until their models are in schema.json.
export type {
  GraphEdge,
  GraphNode,
  JourneyList,
  JourneyPage,
  JourneyRow,
  NodeCounts,
  Period,
  SegmentList,
  SegmentPage,
  SegmentRow,
  StepMember,
  StepMembers,
} from "./types";

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
