//! Embeds every file under `ui/` (the browser pages and their ES modules) into the runner: writes
//! `$OUT_DIR/ui_files.rs`, a table of `(path under ui/, contents)` that `pages.rs` serves. A new
//! module file is served without touching Rust.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn collect(dir: &Path, root: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, files);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.'))
        {
            files.push(path.strip_prefix(root).expect("under ui/").to_path_buf());
        }
    }
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("ui");
    // A directory: cargo reruns this when any file under it changes or is added.
    println!("cargo:rerun-if-changed=ui");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    let mut out = String::from(
        "/// Every file under `ui/`: its path there (with `/`) and its contents.\npub static UI_FILES: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let name = file
            .components()
            .map(|c| c.as_os_str().to_str().expect("a UTF-8 file name"))
            .collect::<Vec<_>>()
            .join("/");
        let full = root.join(file);
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            full.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("ui_files.rs");
    fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}
