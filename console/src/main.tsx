// The console's entry: its styles and the app, in #app.
import { render } from "preact";
import { App } from "./app";
import { lang, setLang } from "./lib/i18n";
import "./style.css";

setLang(lang, false);
render(<App />, document.getElementById("app") as HTMLElement);
