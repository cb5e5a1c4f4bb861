//! The browser pages the runner serves: `/simulator` (a customer's phone on the simulated
//! WhatsApp), `/console` (the agent console over `/api`) and `/events` (the ticket events an
//! integration would receive, from `/dev/events`). Plain HTML, CSS and JavaScript ES
//! modules, compiled into the binary (`build.rs` embeds every file under `ui/`, served at
//! `/ui/<path>`); no build step.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

include!(concat!(env!("OUT_DIR"), "/ui_files.rs"));

/// The pages allow only this origin's scripts, modules and requests; styles may be inline
/// (the charts set `style` attributes), images may come from anywhere (attachments can be
/// presigned storage links).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src * data: blob:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The `Content-Type` of a file under `ui/`, by its extension; `None` for kinds not served.
fn content_type(path: &str) -> Option<&'static str> {
    match path.rsplit_once('.')?.1 {
        "html" => Some("text/html; charset=utf-8"),
        "js" => Some("text/javascript; charset=utf-8"),
        "css" => Some("text/css; charset=utf-8"),
        _ => None,
    }
}

/// The file at `path` under `ui/` with its type, no caching (the runner is rebuilt often), and
/// the policy; 404 for anything not embedded.
fn asset(path: &str) -> Response {
    let found = UI_FILES.iter().find(|(name, _)| *name == path);
    let Some(((_, body), kind)) = found.zip(content_type(path)) else {
        return (StatusCode::NOT_FOUND, "no such page asset").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        *body,
    )
        .into_response()
}

pub fn routes() -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/simulator", get(|| async { asset("simulator.html") }))
        .route("/console", get(|| async { asset("console.html") }))
        .route("/events", get(|| async { asset("events.html") }))
        .route(
            "/ui/{*path}",
            get(|Path(path): Path<String>| async move { asset(&path) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(path: &str) -> Option<&'static str> {
        UI_FILES
            .iter()
            .find(|(name, _)| *name == path)
            .map(|(_, body)| *body)
    }

    /// The relative module paths a script imports (`import ... from "./x.js"`, `import "./x.js"`).
    fn imports(source: &str) -> Vec<&str> {
        source
            .lines()
            .map(str::trim_start)
            .filter(|line| line.starts_with("import ") || line.starts_with("export {"))
            .filter_map(|line| {
                let quoted = line.rsplit_once(" from ").map_or(line, |(_, tail)| tail);
                let start = quoted.find('"')? + 1;
                let end = start + quoted[start..].find('"')?;
                Some(&quoted[start..end])
            })
            .filter(|path| path.starts_with('.'))
            .collect()
    }

    /// `relative` (`./x.js`, `../y.js`) seen from the module at `from`, as a path under `ui/`.
    fn resolve(from: &str, relative: &str) -> String {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for part in relative.split('/') {
            match part {
                "." => {}
                ".." => {
                    parts.pop();
                }
                name => parts.push(name),
            }
        }
        parts.join("/")
    }

    /// An attribute such as ` onclick=` (the policy would block it).
    fn inline_handler(html: &str) -> bool {
        html.match_indices(" on").any(|(at, _)| {
            let rest = &html[at + 3..];
            let name = rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_ascii_lowercase())
                    .len();
            name > 0 && rest[name..].starts_with('=')
        })
    }

    #[test]
    fn every_page_asset_is_served_with_its_type() {
        for (name, _) in UI_FILES {
            let kind = content_type(name).unwrap_or_else(|| panic!("ui/{name} has no type"));
            let response = asset(name);
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], kind, "{name}");
            assert_eq!(
                response.headers()[header::X_CONTENT_TYPE_OPTIONS],
                "nosniff"
            );
        }
        assert_eq!(
            content_type("console/main.js"),
            Some("text/javascript; charset=utf-8")
        );
        assert!(served("console/main.js").is_some());
        assert!(served("simulator/main.js").is_some());
        assert!(served("dom.js").is_some());
    }

    #[test]
    fn unknown_assets_and_paths_outside_ui_are_not_found() {
        for path in [
            "nope.js",
            "../Cargo.toml",
            "console",
            "console/",
            "build.rs",
        ] {
            assert_eq!(asset(path).status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[test]
    fn pages_load_their_scripts_as_modules_the_policy_allows() {
        for (page, script) in [
            ("console.html", "/ui/console/main.js"),
            ("simulator.html", "/ui/simulator/main.js"),
        ] {
            let html = served(page).unwrap();
            assert!(
                html.contains(&format!(
                    r#"<script type="module" src="{script}"></script>"#
                )),
                "{page} loads {script} as a module"
            );
            assert!(!html.contains("<script>"), "{page}: no inline script");
            assert!(!inline_handler(html), "{page}: no inline handlers");
            assert!(served(script.trim_start_matches("/ui/")).is_some());
        }
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    }

    #[test]
    fn every_module_import_resolves_to_a_served_file() {
        let mut checked = 0;
        for (name, source) in UI_FILES.iter().filter(|(n, _)| n.ends_with(".js")) {
            for relative in imports(source) {
                let target = resolve(name, relative);
                assert!(
                    served(&target).is_some(),
                    "ui/{name} imports {relative}, which is not under ui/ ({target})"
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} imports found");
    }

    #[test]
    fn page_scripts_never_write_html_from_strings() {
        for (name, source) in UI_FILES.iter().filter(|(n, _)| n.ends_with(".js")) {
            for sink in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
            ] {
                assert!(!source.contains(sink), "ui/{name} uses {sink}");
            }
        }
    }
}
