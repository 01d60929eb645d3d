// A journey's steps as layers (distance from the trigger), each step a box with its
// counts, LINE's own opens and clicks at a LINE step, and where it leads; a step box is
// a button: clicking it lists who waits there.
import type { GraphEdge, GraphNode, StepLine } from "../api/types";
import { day, num, time } from "../lib/format";
import { type Key, t } from "../lib/i18n";

const COUNTS = ["entered", "sent", "delivered", "opened", "clicked", "converted", "waiting"] as const;
const MARKERS = new Set(["trigger", "end", "converted"]);

/** A LINE figure: "< 20" where LINE hid it, "—" before it was read. */
export function lineFigure(value: number | null, hidden: boolean): string {
  if (hidden) return "< 20";
  return num(value);
}

function LineFigures({ id, line }: { id: string; line: StepLine }) {
  const read = line.read_at !== null;
  const when = read
    ? t("line.period", { from: day(line.from), to: day(line.to), read: time(line.read_at) })
    : t("line.unread");
  const hidden = line.line_opened_hidden || line.line_clicked_hidden;
  return (
    <div class="line-figures" data-testid={`step-line-${id}`} title={hidden ? `${when} · ${t("line.hidden")}` : when}>
      <dl class="counts">
        <div>
          <dt>{t("line.opened")}</dt>
          <dd>{lineFigure(line.line_opened, line.line_opened_hidden)}</dd>
        </div>
        <div>
          <dt>{t("line.clicked")}</dt>
          <dd>{lineFigure(line.line_clicked, line.line_clicked_hidden)}</dd>
        </div>
      </dl>
      {read && (
        <small class="muted">
          {day(line.from)} – {day(line.to)}
        </small>
      )}
    </div>
  );
}

/** Nodes by layer: breadth first from the trigger(s), the rest after. */
export function layers(nodes: GraphNode[], edges: GraphEdge[]): GraphNode[][] {
  const depth = new Map<string, number>();
  const queue = nodes.filter((node) => node.kind === "trigger").map((node) => node.id);
  if (!queue.length && nodes.length) queue.push(nodes[0].id);
  for (const id of queue) depth.set(id, 0);
  while (queue.length) {
    const id = queue.shift() as string;
    for (const edge of edges) {
      if (edge.from === id && !depth.has(edge.to)) {
        depth.set(edge.to, (depth.get(id) ?? 0) + 1);
        queue.push(edge.to);
      }
    }
  }
  let last = Math.max(0, ...depth.values());
  const rows: GraphNode[][] = [];
  for (const node of nodes) {
    if (!depth.has(node.id)) depth.set(node.id, ++last);
    const at = depth.get(node.id) as number;
    (rows[at] ??= []).push(node);
  }
  return rows.filter(Boolean);
}

export function Diagram(props: {
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
  selected: string | null;
  onSelect: (step: string) => void;
}) {
  const { nodes, edges } = props.graph;
  const names = new Map(nodes.map((node) => [node.id, node.label || node.id]));
  return (
    <ol class="diagram" data-testid="journey-diagram">
      {layers(nodes, edges).map((row, index) => (
        <li key={index} class="layer">
          {row.map((node) => {
            const out = edges.filter((edge) => edge.from === node.id);
            const body = (
              <>
                <strong>{node.label || node.id}</strong>
                <small class="muted">
                  {node.kind}
                  {node.detail && ` · ${node.detail}`}
                </small>
                {!MARKERS.has(node.kind) && (
                  <dl class="counts">
                    {COUNTS.map((name) => (
                      <div key={name} class={node.counts[name] ? "" : "zero"}>
                        <dt>{t(`count.${name}` as Key)}</dt>
                        <dd>{num(node.counts[name])}</dd>
                      </div>
                    ))}
                  </dl>
                )}
                {node.line && <LineFigures id={node.id} line={node.line} />}
                {out.length > 0 && (
                  <ul class="edges">
                    {out.map((edge) => (
                      <li key={`${edge.to}-${edge.label}`}>
                        → {names.get(edge.to) ?? edge.to}
                        {edge.label && ` (${edge.label})`}
                        {edge.count !== null && ` · ${num(edge.count)}`}
                      </li>
                    ))}
                  </ul>
                )}
              </>
            );
            return MARKERS.has(node.kind) ? (
              <div key={node.id} class={`node marker kind-${node.kind}`} data-testid={`step-${node.id}`}>
                {body}
              </div>
            ) : (
              <button
                type="button"
                key={node.id}
                class={`node kind-${node.kind}`}
                aria-pressed={props.selected === node.id}
                data-testid={`step-${node.id}`}
                onClick={() => props.onSelect(node.id)}
              >
                {body}
              </button>
            );
          })}
        </li>
      ))}
    </ol>
  );
}
