/**
 * Renders valibot schemas as short type text for the generated tables in docs/events.md and
 * docs/commands tables. Test support only.
 */
type AnySchema = {
  type: string;
  entries?: Record<string, AnySchema>;
  wrapped?: AnySchema;
  item?: AnySchema;
  options?: readonly (AnySchema | string | number)[];
  literal?: unknown;
  key?: AnySchema;
  value?: AnySchema;
};

export function schemaText(schema: AnySchema): string {
  switch (schema.type) {
    case "string":
    case "number":
    case "boolean":
    case "unknown":
      return schema.type;
    case "literal":
      return JSON.stringify(schema.literal);
    case "picklist":
      return (schema.options ?? []).length > 6
        ? "signal name"
        : (schema.options ?? []).map((o) => JSON.stringify(o)).join(" \\| ");
    case "nullable":
      return `${schemaText(schema.wrapped as AnySchema)} \\| null`;
    case "optional":
      return `${schemaText(schema.wrapped as AnySchema)}?`;
    case "array":
      return `${schemaText(schema.item as AnySchema)}[]`;
    case "record":
      return `{ [${schemaText(schema.key as AnySchema)}]: ${schemaText(schema.value as AnySchema)} }`;
    case "object":
    case "strict_object":
    case "loose_object":
      return `{ ${Object.entries(schema.entries ?? {})
        .map(([k, v]) =>
          v.type === "optional" ? `${k}?: ${schemaText(v.wrapped as AnySchema)}` : `${k}: ${schemaText(v)}`,
        )
        .join("; ")} }`;
    case "variant":
    case "union":
      return (schema.options ?? []).map((o) => schemaText(o as AnySchema)).join(" \\| ");
    default:
      return schema.type;
  }
}

/** `field: type` pairs of an object schema's entries. */
export function fieldsText(schema: AnySchema): string {
  const entries = Object.entries(schema.entries ?? {});
  if (entries.length === 0) return "—";
  return entries
    .map(([k, v]) =>
      v.type === "optional"
        ? `\`${k}?\`: ${schemaText(v.wrapped as AnySchema)}`
        : `\`${k}\`: ${schemaText(v)}`,
    )
    .join("<br>");
}
