// The journey page (its diagram and chart) loads as its own chunk, on first visit.
import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Failure, Loading } from "./lib/ui";

type JourneyView = FunctionComponent<{ id: string }>;
let loaded: JourneyView | null = null;

export function Lazy({ id }: { id: string }) {
  const [view, setView] = useState<JourneyView | null>(() => loaded);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (view) return;
    import("./pages/Journey").then((module) => {
      loaded = module.JourneyPage;
      setView(() => module.JourneyPage);
    }, setError);
  }, []);
  if (error) return <Failure error={error} />;
  if (!view) return <Loading />;
  const View = view;
  return <View id={id} />;
}
