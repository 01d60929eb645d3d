// Who is signed in (GET me), for every page: what their role can do and the brand's zone.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Me } from "../api/types";

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe outside the signed-in app");
  return me;
}
