//! `yearbook verify <bag>`: every file of an archived edition against its manifests; with
//! `--rebuild`, the edition built again from the bag alone and compared byte for byte
//! (`archive::verify`).

use crate::archive::verify::{self, Outcome};
use crate::cmd::args::{Cli, VerifyArgs};
use crate::error::AppError;

pub(super) fn run(cli: &Cli, args: &VerifyArgs) -> Result<u8, AppError> {
    let bag = &args.bag;
    let findings = verify::check(bag)?;
    for f in &findings {
        eprintln!("{f}");
    }
    if !findings.is_empty() {
        eprintln!("{}: {} problem(s); the archived edition is not intact", bag.display(), findings.len());
        return Ok(1);
    }
    super::print(&format!("{}: every file matches its manifest\n", bag.display()))?;
    if !args.rebuild {
        return Ok(0);
    }
    // Only a bag made before bags held their fonts needs a fonts folder from outside.
    let fonts = match &args.fonts {
        Some(dir) => Some(dir.clone()),
        None if !verify::holds_fonts(bag) => Some(super::config(cli)?.fonts_dir),
        None => None,
    };
    let (shown, progress) = super::progress::show(cli.quiet);
    let outcomes = verify::rebuild(bag, fonts.as_deref(), progress)?;
    drop(shown);
    let mut differ = 0;
    let site = format!("{}/", crate::web::SITE);
    let mut site_files = 0;
    for outcome in &outcomes {
        site_files += usize::from(matches!(outcome, Outcome::Identical(name) if name.starts_with(&site)));
        match outcome {
            Outcome::Identical(name) if !name.contains('/') => super::print(&format!("  rebuilt {name}: identical\n"))?,
            Outcome::Identical(_) => {}
            Outcome::Differs(name) => eprintln!("  rebuilt {name}: DIFFERS from the archived file"),
            Outcome::NotInBag(name) => eprintln!("  rebuilt {name}: the bag does not hold it"),
            Outcome::NotMade(name) => eprintln!("  {name}: in the bag, but the rebuild does not make it"),
            Outcome::FontDiffers { name, hash, dir } => eprintln!(
                "the font {name} in `{dir}` is missing or is not the one the edition was made with \
                 (SHA-256 {hash}); name the right folder with --fonts DIR"
            ),
        }
        differ += usize::from(!matches!(outcome, Outcome::Identical(_)));
    }
    if differ == 0 {
        super::print(
            "  rebuilt the departments' workbooks and manifest: identical
",
        )?;
        if site_files > 0 {
            super::print(&format!(
                "  rebuilt the web edition ({site_files} pages and data files): identical
"
            ))?;
        }
    }
    Ok(u8::from(differ > 0))
}
