/**
 * The log as a list, one row per event, virtualised: only the rows in sight (and a few around) are in
 * the page, fetched by page from the server, so a log of 100,000 events scrolls as one of 100. The row
 * of the selected seq is marked; a click selects that event's seq.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { type EventPage, get, type TimelineRow } from "./api.js";

const ROW = 22;
const PAGE = 200;

interface Props {
  readonly lastSeq: number;
  readonly seq: number;
  readonly type: string;
  readonly object: string;
  readonly onSelect: (seq: number) => void;
}

export function TimelineList({ lastSeq, seq, type, object, onSelect }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [total, setTotal] = useState(0);
  const [pages, setPages] = useState<Map<number, readonly TimelineRow[]>>(new Map());
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(400);
  const filterKey = `${type}\u0000${object}\u0000${lastSeq}`;

  // New filters or a longer log: start again from the first page.
  useEffect(() => {
    let live = true;
    get<EventPage>("events", { offset: 0, limit: PAGE, type, object }).then((p) => {
      if (!live) return;
      setTotal(p.total);
      setPages(new Map([[0, p.rows]]));
    });
    return () => {
      live = false;
    };
  }, [filterKey]);

  // Keep the selected seq's row in sight.
  useEffect(() => {
    let live = true;
    get<{ index: number }>("events/position", { seq, type, object }).then(({ index }) => {
      const el = box.current;
      if (!live || !el || index < 0) return;
      const y = index * ROW;
      if (y < el.scrollTop || y > el.scrollTop + el.clientHeight - ROW)
        el.scrollTop = Math.max(0, y - el.clientHeight / 2);
    });
    return () => {
      live = false;
    };
  }, [seq, filterKey]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const onResize = () => setHeight(el.clientHeight);
    window.addEventListener("resize", onResize);
    return () => window.removeEventListener("resize", onResize);
  }, []);

  const first = Math.max(0, Math.floor(top / ROW) - 10);
  const last = Math.min(total, Math.ceil((top + height) / ROW) + 10);

  // Fetch the pages the rows in sight are on.
  useEffect(() => {
    for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last - 1) / PAGE); p++) {
      if (pages.has(p) || p * PAGE >= total) continue;
      get<EventPage>("events", { offset: p * PAGE, limit: PAGE, type, object }).then((page) =>
        setPages((old) => new Map(old).set(p, page.rows)),
      );
    }
  }, [first, last, total, pages]);

  const rows = [];
  for (let i = first; i < last; i++) {
    const row = pages.get(Math.floor(i / PAGE))?.[i % PAGE];
    rows.push(
      <button
        type="button"
        key={i}
        class={`row${row && row.seq === seq ? " selected" : ""}${row && row.seq > seq ? " future" : ""}`}
        style={{ top: `${i * ROW}px`, height: `${ROW}px` }}
        data-testid="event-row"
        data-seq={row?.seq}
        onClick={() => row && onSelect(row.seq)}
      >
        {row ? (
          <>
            <span class="seq">#{row.seq}</span>
            <span class={`type t-${row.type.split(".")[0]}`}>{row.type}</span>
            <span class="stream">{row.streamId.replace(/^sha256:/, "").slice(0, 12)}</span>
            <span class="subject">{row.subject}</span>
          </>
        ) : (
          <span class="seq">…</span>
        )}
      </button>,
    );
  }
  return (
    <div
      class="timeline"
      ref={box}
      data-testid="timeline"
      data-total={total}
      onScroll={(e) => setTop((e.currentTarget as HTMLDivElement).scrollTop)}
    >
      <div class="spacer" style={{ height: `${total * ROW}px` }}>
        {rows}
      </div>
    </div>
  );
}
