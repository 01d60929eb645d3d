// The import's mapping step (which column is which field), its first rows and their
// problems (line, column, reason). Cells are shown as the text they are.
import type { ImportPreview } from "../api/types";
import { t } from "../lib/i18n";

const FIELDS = [
  "member_id", "email", "phone", "line_user_id", "external_id", "name", "gender", "birthday",
  "region", "join_source", "joined_at", "tags", "consent_line", "consent_email", "consent_sms",
];

export function Mapping(props: {
  preview: ImportPreview;
  mapping: Record<string, string | null>;
  onChange: (next: Record<string, string | null>) => void;
}) {
  const options = new Set(FIELDS);
  for (const value of Object.values(props.mapping)) if (value) options.add(value);
  return (
    <fieldset data-testid="import-mapping">
      <legend>{t("import.mapping")}</legend>
      <table>
        <thead>
          <tr>
            <th>{t("import.column")}</th>
            <th>{t("import.field")}</th>
          </tr>
        </thead>
        <tbody>
          {props.preview.columns.map((column) => (
            <tr key={column}>
              <td>{column}</td>
              <td>
                <select
                  aria-label={column}
                  value={props.mapping[column] ?? ""}
                  onChange={(event) => {
                    const value = (event.target as HTMLSelectElement).value;
                    props.onChange({ ...props.mapping, [column]: value || null });
                  }}
                >
                  <option value="">{t("import.ignore")}</option>
                  {[...options].map((field) => (
                    <option key={field} value={field}>
                      {field}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </fieldset>
  );
}

function cells(preview: ImportPreview, values: Record<string, string>): string[] {
  return preview.columns.map((column) => values[column] ?? "");
}

export function PreviewRows({ preview }: { preview: ImportPreview }) {
  const bad = new Set(preview.problems.map((problem) => problem.line));
  return (
    <section class="card" data-testid="import-rows">
      <h2>{t("import.rows")}</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>{t("import.line")}</th>
              {preview.columns.map((column) => (
                <th key={column}>{column}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.rows.map((row) => (
              <tr key={row.line} class={bad.has(row.line) ? "bad" : ""}>
                <td>{row.line}</td>
                {cells(preview, row.values).map((cell, index) => (
                  <td key={index}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function Problems({ preview }: { preview: ImportPreview }) {
  const found = preview.problems;
  return (
    <section class="card" data-testid="import-problems">
      <h2>{t("import.problems")}</h2>
      {found.length ? (
        <table>
          <thead>
            <tr>
              <th>{t("import.line")}</th>
              <th>{t("import.column")}</th>
              <th>{t("import.reason")}</th>
            </tr>
          </thead>
          <tbody>
            {found.map((problem, index) => (
              <tr key={index}>
                <td>{problem.line}</td>
                <td>{problem.column || "—"}</td>
                <td>{problem.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">{t("import.noproblems")}</p>
      )}
    </section>
  );
}
