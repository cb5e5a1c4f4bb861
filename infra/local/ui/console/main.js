// The agent console (served at /console; no build step: the browser loads these ES modules).
// Everything goes over the agent API (/api); the demo agents' keys come from /dev/demo-keys
// (local runner only). Each part of the page is one module that registers itself through
// `app.js` (events), `views.js` (a tab) or `ticket.js` (a ticket side panel): a new part is a new
// module plus one import here. Views appear as tabs in the order imported.
import "./queue.js";
import "./saved-views.js";
import "./live.js";
import "./actions.js";
import "./conversation.js";
import "./sla-clocks.js";
import "./details.js";
import "./activity.js";
import "./tags.js";
import "./customers.js";
import "./composer.js";
import "./canned.js";
import "./presence.js";
import "./dashboard.js";
import "./agents-admin.js";
import "./config-admin.js";
import "./templates-admin.js";
import { start } from "./session.js";

start();
