//! Decoding of top-level blocks into typed declarations, with Terraform's static checks.

use super::*;
use crate::diag::{suggest, Diagnostic, Diagnostics};
use crate::lang::ast::{Block, ExprKind, ObjectKey, TraversalOp};
use crate::lang::refs::traversal_parts;

const TOP_LEVEL: &[&str] = &[
    "terraform",
    "variable",
    "locals",
    "output",
    "module",
    "resource",
    "data",
    "provider",
    "moved",
    "import",
    "check",
];

/// Names that cannot be module input variables (they are module call meta-arguments).
const RESERVED_VARIABLE_NAMES: &[&str] = &[
    "count",
    "depends_on",
    "for_each",
    "lifecycle",
    "providers",
    "source",
    "version",
    "locals",
];

/// Adds the declarations of one parsed file to `m`.
pub fn decode_file(m: &mut Module, body: &Body, diags: &mut Diagnostics) {
    for a in &body.attributes {
        diags.push(
            Diagnostic::error("Unsupported argument")
                .at(&a.name_range)
                .detail(format!(
                    "An argument named \"{}\" is not expected at the top level of a configuration file; only blocks (resource, variable, module, ...) are.",
                    a.name
                ))
                .hint("put it inside the block it belongs to, e.g. a locals block"),
        );
    }
    for b in &body.blocks {
        match b.kind.as_str() {
            "terraform" => decode_terraform(m, b, diags),
            "variable" => {
                if let Some(v) = decode_variable(b, diags) {
                    insert_unique(
                        &mut m.variables,
                        v.name.clone(),
                        v,
                        |v| &v.decl_range,
                        "variable",
                        diags,
                    );
                }
            }
            "locals" => {
                if !labels_ok(b, 0, &[], diags) {
                    continue;
                }
                reject_blocks(&b.body, "locals", diags);
                for a in &b.body.attributes {
                    let l = Local {
                        name: a.name.clone(),
                        expr: a.expr.clone(),
                        decl_range: a.range.clone(),
                    };
                    insert_unique(
                        &mut m.locals,
                        a.name.clone(),
                        l,
                        |l| &l.decl_range,
                        "local value",
                        diags,
                    );
                }
            }
            "output" => {
                if let Some(o) = decode_output(b, diags) {
                    insert_unique(
                        &mut m.outputs,
                        o.name.clone(),
                        o,
                        |o| &o.decl_range,
                        "output",
                        diags,
                    );
                }
            }
            "module" => {
                if let Some(c) = decode_module_call(b, diags) {
                    insert_unique(
                        &mut m.module_calls,
                        c.name.clone(),
                        c,
                        |c| &c.decl_range,
                        "module call",
                        diags,
                    );
                }
            }
            "resource" | "data" => {
                let mode = if b.kind == "data" {
                    Mode::Data
                } else {
                    Mode::Managed
                };
                if let Some(r) = decode_resource(b, mode, diags) {
                    let what = if mode == Mode::Data {
                        "data source"
                    } else {
                        "resource"
                    };
                    insert_unique(&mut m.resources, r.key(), r, |r| &r.decl_range, what, diags);
                }
            }
            "provider" => {
                if let Some(p) = decode_provider(b, diags) {
                    insert_unique(
                        &mut m.providers,
                        p.key(),
                        p,
                        |p| &p.decl_range,
                        "provider configuration",
                        diags,
                    );
                }
            }
            "moved" => {
                if let Some(mv) = decode_moved(b, diags) {
                    m.moved.push(mv);
                }
            }
            "import" => {
                if let Some(im) = decode_import(b, diags) {
                    m.imports.push(im);
                }
            }
            // Accepted, not interpreted yet.
            "check" => {}
            other => {
                let mut d = Diagnostic::error("Unsupported block type")
                    .at(&b.kind_range)
                    .detail(format!(
                        "Blocks of type \"{other}\" are not expected here. The top level of a configuration accepts: {}.",
                        TOP_LEVEL.join(", ")
                    ));
                d = match suggest(other, TOP_LEVEL.iter().copied()) {
                    Some(s) => d.hint(format!("did you mean \"{s}\"?")),
                    None => d.hint("remove the block or fix its type"),
                };
                diags.push(d);
            }
        }
    }
}

/// Checks the header of a top-level block of an override file (its type and labels), as the
/// decoder would; false when it cannot be merged.
pub(crate) fn override_header_ok(b: &Block, diags: &mut Diagnostics) -> bool {
    match b.kind.as_str() {
        "terraform" | "locals" | "moved" | "import" => labels_ok(b, 0, &[], diags),
        "check" => true,
        "variable" | "output" | "module" | "provider" => labels_ok(b, 1, &["NAME"], diags),
        "resource" | "data" => labels_ok(b, 2, &["TYPE", "NAME"], diags),
        _ => {
            let body = Body {
                blocks: vec![b.clone()],
                ..Body::default()
            };
            decode_file(&mut Module::default(), &body, diags);
            false
        }
    }
}

fn insert_unique<T>(
    map: &mut IndexMap<String, T>,
    key: String,
    value: T,
    range: impl Fn(&T) -> &Range,
    what: &str,
    diags: &mut Diagnostics,
) {
    if let Some(prev) = map.get(&key) {
        diags.push(
            Diagnostic::error(duplicate_summary(what, &key))
                .at(range(&value))
                .detail(format!(
                    "A {what} named \"{key}\" was already declared at {}. Names must be unique within a module.",
                    range(prev)
                ))
                .related("previous declaration", range(prev))
                .hint("rename one of them or remove the duplicate"),
        );
        return;
    }
    map.insert(key, value);
}

/// Terraform's wording for each kind of duplicate.
fn duplicate_summary(what: &str, key: &str) -> String {
    match what {
        "variable" => "Duplicate variable declaration".into(),
        "local value" => "Duplicate local value definition".into(),
        "output" => "Duplicate output definition".into(),
        "module call" => "Duplicate module call".into(),
        "resource" => format!(
            "Duplicate resource \"{}\" configuration",
            key.split('.').next().unwrap_or(key)
        ),
        "data source" => format!(
            "Duplicate data \"{}\" configuration",
            key.split('.').nth(1).unwrap_or(key)
        ),
        _ => format!("Duplicate {what}"),
    }
}

/// Checks the number of labels; `names` documents them for the message.
fn labels_ok(b: &Block, n: usize, names: &[&str], diags: &mut Diagnostics) -> bool {
    if b.labels.len() == n {
        for (l, r) in b.labels.iter().zip(&b.label_ranges) {
            if !valid_identifier(l) {
                diags.push(
                    Diagnostic::error("Invalid name")
                        .at(r)
                        .detail(format!("\"{l}\" is not a valid name: a name must start with a letter or underscore and may contain only letters, digits, underscores and dashes."))
                        .hint("rename it, e.g. with underscores instead of other characters"),
                );
                return false;
            }
        }
        return true;
    }
    let (summary, range) = if b.labels.len() > n {
        ("Extraneous label", b.label_ranges[n].clone())
    } else {
        ("Missing name", b.def_range.clone())
    };
    let expected = if names.is_empty() {
        format!("A {} block takes no labels.", b.kind)
    } else {
        format!(
            "A {} block takes {} label(s): {}.",
            b.kind,
            n,
            names.join(", ")
        )
    };
    diags.push(
        Diagnostic::error(format!("{summary} for {} block", b.kind))
            .at(&range)
            .detail(expected)
            .hint(match names {
                [] => format!("write it as: {} {{ ... }}", b.kind),
                _ => format!(
                    "write it as: {} {} {{ ... }}",
                    b.kind,
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            }),
    );
    false
}

pub fn valid_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn unsupported_argument(a: &Attribute, block: &str, allowed: &[&str], diags: &mut Diagnostics) {
    let mut d = Diagnostic::error("Unsupported argument")
        .at(&a.name_range)
        .detail(format!(
            "An argument named \"{}\" is not expected in a {block} block. Allowed: {}.",
            a.name,
            allowed.join(", ")
        ));
    d = match suggest(&a.name, allowed.iter().copied()) {
        Some(s) => d.hint(format!("did you mean \"{s}\"?")),
        None => d.hint("remove it"),
    };
    diags.push(d);
}

fn unsupported_block(b: &Block, parent: &str, allowed: &[&str], diags: &mut Diagnostics) {
    let mut d = Diagnostic::error("Unsupported block type")
        .at(&b.kind_range)
        .detail(format!(
            "Blocks of type \"{}\" are not expected in a {parent} block{}.",
            b.kind,
            if allowed.is_empty() {
                String::new()
            } else {
                format!(" (allowed: {})", allowed.join(", "))
            }
        ));
    d = match suggest(&b.kind, allowed.iter().copied()) {
        Some(s) => d.hint(format!("did you mean \"{s}\"?")),
        None => d.hint("remove it"),
    };
    diags.push(d);
}

fn reject_blocks(body: &Body, parent: &str, diags: &mut Diagnostics) {
    for b in &body.blocks {
        unsupported_block(b, parent, &[], diags);
    }
}

/// A literal string (no interpolation).
fn literal_string(a: &Attribute, diags: &mut Diagnostics) -> Option<String> {
    match &a.expr.kind {
        ExprKind::String(s) => Some(s.clone()),
        _ => {
            diags.push(
                Diagnostic::error(format!("Invalid value for \"{}\"", a.name))
                    .at(&a.expr.range)
                    .detail(format!(
                        "The \"{}\" argument requires a literal string; it cannot use references, functions or interpolation.",
                        a.name
                    ))
                    .hint("write a quoted string without ${...}"),
            );
            None
        }
    }
}

fn literal_bool(a: &Attribute, diags: &mut Diagnostics) -> Option<bool> {
    match &a.expr.kind {
        ExprKind::Bool(b) => Some(*b),
        _ => {
            diags.push(
                Diagnostic::error(format!("Invalid value for \"{}\"", a.name))
                    .at(&a.expr.range)
                    .detail(format!(
                        "The \"{}\" argument requires a literal true or false.",
                        a.name
                    ))
                    .hint("write true or false"),
            );
            None
        }
    }
}

/// `depends_on = [aws_vpc.main, module.net]`: a list of references.
fn reference_list(a: &Attribute, diags: &mut Diagnostics) -> Vec<Expr> {
    match &a.expr.kind {
        ExprKind::Tuple(items) => {
            let mut out = Vec::new();
            for it in items {
                if traversal_parts(it).is_some() {
                    out.push(it.clone());
                } else {
                    diags.push(
                        Diagnostic::error("Invalid depends_on reference")
                            .at(&it.range)
                            .detail("Each element of depends_on must be a reference to a resource, data source or module, like aws_vpc.main or module.network, without indexes or functions.")
                            .hint("list the whole resource or module, e.g. depends_on = [aws_vpc.main]"),
                    );
                }
            }
            out
        }
        _ => {
            diags.push(
                Diagnostic::error("Invalid depends_on")
                    .at(&a.expr.range)
                    .detail("depends_on must be a list of references, like [aws_vpc.main, module.network].")
                    .hint("wrap the references in brackets"),
            );
            Vec::new()
        }
    }
}

pub(crate) fn decode_terraform(m: &mut Module, b: &Block, diags: &mut Diagnostics) {
    if !labels_ok(b, 0, &[], diags) {
        return;
    }
    m.terraform.ranges.push(b.def_range.clone());
    const ARGS: &[&str] = &["required_version", "experiments"];
    for a in &b.body.attributes {
        match a.name.as_str() {
            "required_version" => m.terraform.required_version = Some(a.expr.clone()),
            "experiments" => {}
            _ => unsupported_argument(a, "terraform", ARGS, diags),
        }
    }
    const BLOCKS: &[&str] = &["required_providers", "backend", "cloud", "provider_meta"];
    for nb in &b.body.blocks {
        match nb.kind.as_str() {
            "required_providers" => {
                if !labels_ok(nb, 0, &[], diags) {
                    continue;
                }
                for a in &nb.body.attributes {
                    let mut req = ProviderRequirement {
                        name: a.name.clone(),
                        source: None,
                        version: None,
                        range: a.range.clone(),
                    };
                    match &a.expr.kind {
                        // Legacy form: aws = "~> 5.0"
                        ExprKind::String(v) => req.version = Some(v.clone()),
                        ExprKind::Object(items) => {
                            for it in items {
                                let val = match &it.value.kind {
                                    ExprKind::String(s) => Some(s.clone()),
                                    _ => None,
                                };
                                match (it.key.as_static(), val) {
                                    (Some("source"), Some(v)) => req.source = Some(v),
                                    (Some("version"), Some(v)) => req.version = Some(v),
                                    (Some("configuration_aliases"), _) => {}
                                    _ => diags.push(
                                        Diagnostic::error("Invalid required_providers entry")
                                            .at(it.key.range())
                                            .detail("A provider requirement takes source and version, each a literal string.")
                                            .hint("write it as: aws = { source = \"hashicorp/aws\", version = \"~> 5.0\" }"),
                                    ),
                                }
                            }
                        }
                        _ => diags.push(
                            Diagnostic::error("Invalid required_providers entry")
                                .at(&a.expr.range)
                                .detail("A provider requirement is an object with source and version.")
                                .hint("write it as: aws = { source = \"hashicorp/aws\", version = \"~> 5.0\" }"),
                        ),
                    }
                    m.terraform.required_providers.insert(a.name.clone(), req);
                }
            }
            "backend" => {
                if !labels_ok(nb, 1, &["TYPE"], diags) {
                    continue;
                }
                if let Some(prev) = &m.terraform.backend {
                    diags.push(
                        Diagnostic::error("Duplicate backend configuration")
                            .at(&nb.def_range)
                            .detail(format!("A module may have only one backend; one was already declared at {}.", prev.range))
                            .related("previous declaration", &prev.range)
                            .hint("remove one of the backend blocks"),
                    );
                    continue;
                }
                m.terraform.backend = Some(Backend {
                    kind: nb.labels[0].clone(),
                    body: nb.body.clone(),
                    range: nb.def_range.clone(),
                });
            }
            "cloud" | "provider_meta" => {}
            _ => unsupported_block(nb, "terraform", BLOCKS, diags),
        }
    }
}

fn decode_variable(b: &Block, diags: &mut Diagnostics) -> Option<Variable> {
    if !labels_ok(b, 1, &["NAME"], diags) {
        return None;
    }
    let name = b.labels[0].clone();
    if RESERVED_VARIABLE_NAMES.contains(&name.as_str()) {
        diags.push(
            Diagnostic::error("Invalid variable name")
                .at(&b.label_ranges[0])
                .detail(format!("The variable name \"{name}\" is reserved: module calls use it as a meta-argument."))
                .hint("choose another name"),
        );
        return None;
    }
    let mut v = Variable {
        name,
        type_expr: None,
        default: None,
        description: None,
        sensitive: false,
        validations: Vec::new(),
        decl_range: b.def_range.clone(),
    };
    // `nullable` is Terraform 1.1: 1.0 rejects it as an unsupported argument.
    const ARGS: &[&str] = &["type", "default", "description", "sensitive"];
    for a in &b.body.attributes {
        match a.name.as_str() {
            "type" => v.type_expr = Some(a.expr.clone()),
            "default" => v.default = Some(a.expr.clone()),
            "description" => v.description = literal_string(a, diags),
            "sensitive" => v.sensitive = literal_bool(a, diags).unwrap_or(false),
            _ => unsupported_argument(a, "variable", ARGS, diags),
        }
    }
    for nb in &b.body.blocks {
        if nb.kind != "validation" {
            unsupported_block(nb, "variable", &["validation"], diags);
            continue;
        }
        if !labels_ok(nb, 0, &[], diags) {
            continue;
        }
        let cond = nb.body.attribute("condition");
        let msg = nb.body.attribute("error_message");
        for a in &nb.body.attributes {
            if a.name != "condition" && a.name != "error_message" {
                unsupported_argument(a, "validation", &["condition", "error_message"], diags);
            }
        }
        reject_blocks(&nb.body, "validation", diags);
        if let Some(m) = msg {
            check_validation_message(m, diags);
        }
        match (cond, msg) {
            (Some(c), Some(m)) => v.validations.push(Validation {
                condition: c.expr.clone(),
                error_message: m.expr.clone(),
                range: nb.def_range.clone(),
            }),
            (c, _) => {
                let missing = if c.is_none() {
                    "condition"
                } else {
                    "error_message"
                };
                diags.push(
                    Diagnostic::error("Missing required argument")
                        .at(&nb.def_range)
                        .detail("A validation block needs both a condition and an error_message.")
                        .hint(format!("add {missing} = ... to the validation block")),
                );
            }
        }
    }
    Some(v)
}

/// Terraform 1.0 requires a validation's error message to read as English sentences, since it
/// is printed inside a larger message.
fn check_validation_message(a: &Attribute, diags: &mut Diagnostics) {
    let ExprKind::String(text) = &a.expr.kind else {
        return;
    };
    let detail = if text.is_empty() {
        "An empty string is not a valid nor useful error message."
    } else if !looks_like_sentences(text) {
        "The validation error message must be at least one full sentence starting with an uppercase letter and ending with a period or question mark.\n\nYour given message will be included as part of a larger Terraform error message, written as English prose. For broadly-shared modules we suggest using a similar writing style so that the overall result will be consistent."
    } else {
        return;
    };
    diags.push(
        Diagnostic::error("Invalid validation error message")
            .at(&a.expr.range)
            .detail(detail)
            .hint("write a sentence: start with a capital letter, end with a period"),
    );
}

/// Terraform's `looksLikeSentences`: a first letter in upper case, and a final `.`, `?` or `!`.
fn looks_like_sentences(s: &str) -> bool {
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().last()) else {
        return false;
    };
    if first.is_alphabetic() && !first.is_uppercase() {
        return false;
    }
    matches!(last, '.' | '?' | '!')
}

fn decode_output(b: &Block, diags: &mut Diagnostics) -> Option<Output> {
    if !labels_ok(b, 1, &["NAME"], diags) {
        return None;
    }
    let name = b.labels[0].clone();
    let mut value = None;
    let mut o_desc = None;
    let mut sensitive = false;
    let mut depends_on = Vec::new();
    const ARGS: &[&str] = &["value", "description", "sensitive", "depends_on"];
    for a in &b.body.attributes {
        match a.name.as_str() {
            "value" => value = Some(a.expr.clone()),
            "description" => o_desc = literal_string(a, diags),
            "sensitive" => sensitive = literal_bool(a, diags).unwrap_or(false),
            "depends_on" => depends_on = reference_list(a, diags),
            _ => unsupported_argument(a, "output", ARGS, diags),
        }
    }
    for nb in &b.body.blocks {
        if nb.kind != "precondition" {
            unsupported_block(nb, "output", &[], diags);
        }
    }
    let Some(value) = value else {
        diags.push(
            Diagnostic::error("Missing required argument")
                .at(&b.def_range)
                .detail(format!("Output \"{name}\" has no value."))
                .hint("add value = <expression> to the output block"),
        );
        return None;
    };
    Some(Output {
        name,
        value,
        description: o_desc,
        sensitive,
        depends_on,
        decl_range: b.def_range.clone(),
    })
}

fn decode_module_call(b: &Block, diags: &mut Diagnostics) -> Option<ModuleCall> {
    if !labels_ok(b, 1, &["NAME"], diags) {
        return None;
    }
    let mut c = ModuleCall {
        name: b.labels[0].clone(),
        source: String::new(),
        source_range: b.def_range.clone(),
        version: None,
        count: None,
        for_each: None,
        depends_on: Vec::new(),
        providers: Vec::new(),
        inputs: IndexMap::new(),
        decl_range: b.def_range.clone(),
    };
    let mut has_source = false;
    for a in &b.body.attributes {
        match a.name.as_str() {
            "source" => {
                if let Some(s) = literal_string(a, diags) {
                    c.source = s;
                    c.source_range = a.expr.range.clone();
                    has_source = true;
                } else {
                    return None;
                }
            }
            "version" => c.version = literal_string(a, diags),
            "count" => c.count = Some(a.expr.clone()),
            "for_each" => c.for_each = Some(a.expr.clone()),
            "depends_on" => c.depends_on = reference_list(a, diags),
            "providers" => c.providers = provider_map(a, diags),
            _ => {
                c.inputs.insert(a.name.clone(), a.clone());
            }
        }
    }
    for nb in &b.body.blocks {
        unsupported_block(nb, "module", &[], diags);
    }
    if !has_source {
        diags.push(
            Diagnostic::error("Missing required argument")
                .at(&b.def_range)
                .detail(format!(
                    "Module call \"{}\" does not say where the module is.",
                    c.name
                ))
                .hint("add source = \"./path/to/module\" or a git:: address"),
        );
        return None;
    }
    count_and_for_each(&c.count, &c.for_each, diags);
    Some(c)
}

fn count_and_for_each(count: &Option<Expr>, for_each: &Option<Expr>, diags: &mut Diagnostics) {
    if let (Some(_), Some(f)) = (count, for_each) {
        diags.push(
            Diagnostic::error("Invalid combination of \"count\" and \"for_each\"")
                .at(&f.range)
                .detail("The \"count\" and \"for_each\" meta-arguments are mutually exclusive; only one may be used.")
                .hint("keep one of them"),
        );
    }
}

/// `providers = { aws = aws.east, "google" = google }`
fn provider_map(a: &Attribute, diags: &mut Diagnostics) -> Vec<(String, String, Range)> {
    let ExprKind::Object(items) = &a.expr.kind else {
        diags.push(
            Diagnostic::error("Invalid providers argument")
                .at(&a.expr.range)
                .detail("providers must be a map from the child module's provider names to provider configurations of this module.")
                .hint("write it as: providers = { aws = aws.east }"),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for it in items {
        let target = traversal_parts(&it.value).and_then(|(root, _, ops)| match ops {
            [] => Some(root.to_string()),
            [TraversalOp::GetAttr(alias, _)] => Some(format!("{root}.{alias}")),
            _ => None,
        });
        let key = match &it.key {
            ObjectKey::Ident(s, _) => Some(s.clone()),
            ObjectKey::Expr(e) => traversal_parts(e)
                .and_then(|(root, _, ops)| match ops {
                    [] => Some(root.to_string()),
                    [TraversalOp::GetAttr(alias, _)] => Some(format!("{root}.{alias}")),
                    _ => None,
                })
                .or_else(|| it.key.as_static().map(str::to_string)),
        };
        match (key, target) {
            (Some(k), Some(t)) => out.push((k, t, it.value.range.clone())),
            _ => diags.push(
                Diagnostic::error("Invalid provider reference")
                    .at(&it.value.range)
                    .detail("Each entry maps a provider name to a provider configuration like aws or aws.east.")
                    .hint("write it as: aws = aws.east"),
            ),
        }
    }
    out
}

fn decode_resource(b: &Block, mode: Mode, diags: &mut Diagnostics) -> Option<Resource> {
    if !labels_ok(b, 2, &["TYPE", "NAME"], diags) {
        return None;
    }
    let mut r = Resource {
        mode,
        type_: b.labels[0].clone(),
        name: b.labels[1].clone(),
        count: None,
        for_each: None,
        depends_on: Vec::new(),
        provider: None,
        lifecycle: Lifecycle::default(),
        body: Body {
            attributes: Vec::new(),
            blocks: Vec::new(),
            range: b.body.range.clone(),
            json: b.body.json,
        },
        decl_range: b.def_range.clone(),
    };
    for a in &b.body.attributes {
        match a.name.as_str() {
            "count" => r.count = Some(a.expr.clone()),
            "for_each" => r.for_each = Some(a.expr.clone()),
            "depends_on" => r.depends_on = reference_list(a, diags),
            "provider" => {
                let p = traversal_parts(&a.expr).and_then(|(root, _, ops)| match ops {
                    [] => Some((root.to_string(), None)),
                    [TraversalOp::GetAttr(alias, _)] => {
                        Some((root.to_string(), Some(alias.clone())))
                    }
                    _ => None,
                });
                match p {
                    Some((name, alias)) => {
                        r.provider = Some(ProviderRef {
                            name,
                            alias,
                            range: a.expr.range.clone(),
                        })
                    }
                    None => diags.push(
                        Diagnostic::error("Invalid provider reference")
                            .at(&a.expr.range)
                            .detail("The provider argument names a provider configuration, like aws or aws.east, without quotes.")
                            .hint("write it as: provider = aws.east"),
                    ),
                }
            }
            _ => r.body.attributes.push(a.clone()),
        }
    }
    for nb in &b.body.blocks {
        match nb.kind.as_str() {
            "lifecycle" => decode_lifecycle(&mut r.lifecycle, nb, diags),
            "provisioner" | "connection" if mode == Mode::Managed => {
                diags.push(
                    Diagnostic::error("Provisioners are not supported")
                        .at(&nb.kind_range)
                        .detail("sakk does not run provisioners: configuration that is not AWS goes to Git through the gitops resources.")
                        .hint("remove the block; use a gitops_manifest or argocd_application resource for in-cluster configuration"),
                );
            }
            _ => r.body.blocks.push(nb.clone()),
        }
    }
    count_and_for_each(&r.count, &r.for_each, diags);
    Some(r)
}

fn decode_lifecycle(l: &mut Lifecycle, b: &Block, diags: &mut Diagnostics) {
    if !labels_ok(b, 0, &[], diags) {
        return;
    }
    l.range = Some(b.def_range.clone());
    const ARGS: &[&str] = &[
        "create_before_destroy",
        "prevent_destroy",
        "ignore_changes",
        "replace_triggered_by",
    ];
    for a in &b.body.attributes {
        match a.name.as_str() {
            "create_before_destroy" => {
                l.create_before_destroy = literal_bool(a, diags).unwrap_or(false)
            }
            "prevent_destroy" => l.prevent_destroy = literal_bool(a, diags).unwrap_or(false),
            "ignore_changes" => {
                l.ignore_changes = match &a.expr.kind {
                    ExprKind::Variable(v) if v == "all" => IgnoreChanges::All,
                    ExprKind::Tuple(items) => IgnoreChanges::Paths(items.clone()),
                    _ => {
                        diags.push(
                            Diagnostic::error("Invalid ignore_changes")
                                .at(&a.expr.range)
                                .detail("ignore_changes is either the keyword all or a list of attribute names.")
                                .hint("write it as: ignore_changes = [tags] or ignore_changes = all"),
                        );
                        IgnoreChanges::None
                    }
                }
            }
            "replace_triggered_by" => diags.push(
                Diagnostic::warning("replace_triggered_by is not implemented yet")
                    .at(&a.range)
                    .detail("sakk accepts the argument (Terraform 1.2) but does not act on it yet: a change of what it names does not replace this resource.")
                    .hint("until it is, replace the resource explicitly when needed: sakk apply --replace ADDRESS"),
            ),
            _ => unsupported_argument(a, "lifecycle", ARGS, diags),
        }
    }
    for nb in &b.body.blocks {
        if nb.kind != "precondition" && nb.kind != "postcondition" {
            unsupported_block(nb, "lifecycle", &[], diags);
        }
    }
}

fn decode_provider(b: &Block, diags: &mut Diagnostics) -> Option<ProviderConfig> {
    if !labels_ok(b, 1, &["NAME"], diags) {
        return None;
    }
    let mut body = b.body.clone();
    let mut alias = None;
    if let Some(pos) = body.attributes.iter().position(|a| a.name == "alias") {
        let a = body.attributes.remove(pos);
        alias = literal_string(&a, diags);
        if let Some(al) = &alias {
            if !valid_identifier(al) {
                diags.push(
                    Diagnostic::error("Invalid provider alias")
                        .at(&a.expr.range)
                        .detail(format!("\"{al}\" is not a valid alias: use letters, digits, underscores and dashes."))
                        .hint("rename the alias"),
                );
            }
        }
    }
    Some(ProviderConfig {
        name: b.labels[0].clone(),
        alias,
        body,
        decl_range: b.def_range.clone(),
    })
}

/// The address an expression like `aws_s3_bucket.a[0]` or `module.net["eu"]` spells.
pub fn address_text(e: &Expr) -> Option<String> {
    let (base, ops): (&str, &[TraversalOp]) = match &e.kind {
        ExprKind::Variable(v) => (v.as_str(), &[]),
        ExprKind::Traversal { base, ops } => match &base.kind {
            ExprKind::Variable(v) => (v.as_str(), ops.as_slice()),
            _ => return None,
        },
        _ => return None,
    };
    let mut out = base.to_string();
    for op in ops {
        match op {
            TraversalOp::GetAttr(a, _) => {
                out.push('.');
                out.push_str(a);
            }
            TraversalOp::LegacyIndex(i, _) => out.push_str(&format!("[{i}]")),
            TraversalOp::Index(ix) => match &ix.kind {
                ExprKind::Number(n) => out.push_str(&format!("[{n}]")),
                ExprKind::String(s) => {
                    out.push_str(&format!("[{}]", serde_json::Value::String(s.clone())))
                }
                _ => return None,
            },
        }
    }
    Some(out)
}

fn block_address(
    b: &Block,
    name: &str,
    example: &str,
    diags: &mut Diagnostics,
) -> Option<(String, Range)> {
    let Some(a) = b.body.attribute(name) else {
        diags.push(
            Diagnostic::error(format!("Missing required argument \"{name}\""))
                .at(&b.kind_range)
                .detail(format!("A {} block needs {name} = ADDRESS.", b.kind))
                .hint(format!("add {name} = {example}")),
        );
        return None;
    };
    match address_text(&a.expr) {
        Some(t) => Some((t, a.expr.range.clone())),
        None => {
            diags.push(
                Diagnostic::error(format!("Invalid {} address", b.kind))
                    .at(&a.expr.range)
                    .detail(format!(
                        "{name} must be a static address like {example}, with literal keys only."
                    ))
                    .hint("write the address without functions or variables"),
            );
            None
        }
    }
}

fn decode_moved(b: &Block, diags: &mut Diagnostics) -> Option<Moved> {
    if !labels_ok(b, 0, &[], diags) {
        return None;
    }
    for a in &b.body.attributes {
        if a.name != "from" && a.name != "to" {
            diags.push(
                Diagnostic::error("Unsupported argument")
                    .at(&a.name_range)
                    .detail(format!(
                        "An argument named \"{}\" is not expected in a moved block.",
                        a.name
                    ))
                    .hint("a moved block takes from and to"),
            );
        }
    }
    let from = block_address(b, "from", "aws_s3_bucket.old", diags);
    let to = block_address(b, "to", "aws_s3_bucket.new", diags);
    let ((from, from_range), (to, to_range)) = (from?, to?);
    Some(Moved {
        from,
        to,
        from_range,
        to_range,
        decl_range: b.def_range.clone(),
    })
}

fn decode_import(b: &Block, diags: &mut Diagnostics) -> Option<ImportBlock> {
    if !labels_ok(b, 0, &[], diags) {
        return None;
    }
    for a in &b.body.attributes {
        if !["to", "id", "provider"].contains(&a.name.as_str()) {
            diags.push(
                Diagnostic::error("Unsupported argument")
                    .at(&a.name_range)
                    .detail(format!(
                        "An argument named \"{}\" is not expected in an import block.",
                        a.name
                    ))
                    .hint("an import block takes to and id"),
            );
        }
    }
    let to = block_address(b, "to", "aws_s3_bucket.logs", diags);
    let id = match b.body.attribute("id") {
        Some(a) => Some(a.expr.clone()),
        None => {
            diags.push(
                Diagnostic::error("Missing required argument \"id\"")
                    .at(&b.kind_range)
                    .detail("An import block needs the ID of the existing object.")
                    .hint("add id = \"...\""),
            );
            None
        }
    };
    let ((to, to_range), id) = (to?, id?);
    Some(ImportBlock {
        to,
        to_range,
        id,
        decl_range: b.def_range.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages_are_sentences() {
        assert!(looks_like_sentences("The value must be positive."));
        assert!(looks_like_sentences("Is it set?"));
        assert!(looks_like_sentences("\"x\" is wrong!"));
        assert!(!looks_like_sentences("too short"));
        assert!(!looks_like_sentences("Too short"));
        assert!(!looks_like_sentences("lower case."));
        assert!(!looks_like_sentences(""));
    }
}
