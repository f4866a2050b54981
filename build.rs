//! Records the source commit the binary was built from (`YEARBOOK_COMMIT`), so that an archived
//! bag names the exact tool that made it. Never fails the build: without git, or outside a
//! checkout (a source tarball), the commit is "unknown".

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let commit = git(&["rev-parse", "HEAD"]).filter(|c| c.bytes().all(|b| b.is_ascii_hexdigit()));
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it names (a commit), and
    // packed-refs (after `git gc`). In a worktree, HEAD is in its own git dir and the refs in
    // the common one.
    if let (Some(dir), Some(common)) = (git(&["rev-parse", "--git-dir"]), git(&["rev-parse", "--git-common-dir"])) {
        println!("cargo:rerun-if-changed={}", Path::new(&dir).join("HEAD").display());
        println!("cargo:rerun-if-changed={}", Path::new(&common).join("packed-refs").display());
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={}", Path::new(&common).join(reference).display());
        }
    }
    println!("cargo:rustc-env=YEARBOOK_COMMIT={}", commit.as_deref().unwrap_or("unknown"));
}
