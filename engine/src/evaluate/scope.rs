//! How references resolve during the walk: one module instance's view of the configuration.

use super::walk::Walk;
use crate::diag::{Diagnostic, Diagnostics, Range};
use crate::graph::NodeKind;
use crate::lang::ast::Expr;
use crate::lang::eval::{eval, EvalContext, Scope};
use crate::lang::refs::Subject;
use crate::lang::types::Type;
use crate::lang::value::{Attrs, Value};

/// The repetition an expression is evaluated under: `count.index` or `each.key`/`each.value`.
#[derive(Debug, Clone)]
pub enum InstanceRep {
    None,
    Count(i64),
    Each(String, Value),
}

pub(super) struct EvalScope<'w, 'c> {
    pub walk: &'w Walk<'c>,
    pub slot: usize,
    pub instance: usize,
    pub rep: InstanceRep,
}

/// A scope variant: constants only, or one variable's value overridden (validation).
pub(super) struct Special<'w, 'c> {
    inner: EvalScope<'w, 'c>,
    constant: bool,
    var_override: Option<(String, Value)>,
}

impl<'w, 'c> EvalScope<'w, 'c> {
    pub fn eval(&self, e: &Expr) -> Result<Value, Diagnostics> {
        let ctx = EvalContext::new(self, &self.walk.functions);
        eval(e, &ctx)
    }

    /// Evaluates `e` with `names` bound as bare names (the iterators of dynamic blocks).
    pub fn eval_with(&self, e: &Expr, names: &Attrs) -> Result<Value, Diagnostics> {
        if names.is_empty() {
            return self.eval(e);
        }
        let ctx = EvalContext::with_vars(self, &self.walk.functions, names);
        eval(e, &ctx)
    }

    pub fn constant_only(self) -> Special<'w, 'c> {
        Special {
            inner: self,
            constant: true,
            var_override: None,
        }
    }

    pub fn with_override(self, name: &str, v: Value) -> Special<'w, 'c> {
        Special {
            inner: self,
            constant: false,
            var_override: Some((name.to_string(), v)),
        }
    }

    fn node_value(&self, kind: NodeKind) -> Option<Value> {
        let n = self.walk.slots[self.slot].nodes.get(&kind)?;
        self.walk.values[n.index()]
            .get(self.instance)
            .cloned()
            .flatten()
    }

    fn module_dir(&self) -> String {
        super::walk::module_dir(self.walk.slots[self.slot].module)
    }
}

impl Scope for EvalScope<'_, '_> {
    fn get(&self, subject: &Subject, range: &Range) -> Result<Value, Diagnostic> {
        // The graph builder has already rejected references to undeclared objects; a missing
        // value here means an upstream error, reported where it happened.
        let pending = || Value::unknown(Type::Dynamic);
        Ok(match subject {
            Subject::Var(n) => self
                .node_value(NodeKind::Variable(n.clone()))
                .unwrap_or_else(pending),
            Subject::Local(n) => self
                .node_value(NodeKind::Local(n.clone()))
                .unwrap_or_else(pending),
            Subject::Module(n) => self
                .walk
                .module_object(self.slot, self.instance, n)
                .unwrap_or_else(pending),
            Subject::Resource { mode, type_, name } => self
                .node_value(NodeKind::Resource {
                    mode: *mode,
                    type_: type_.clone(),
                    name: name.clone(),
                })
                .unwrap_or_else(pending),
            Subject::CountIndex => match &self.rep {
                InstanceRep::Count(i) => Value::int(*i),
                _ => return Err(not_here(subject, range)),
            },
            Subject::EachKey => match &self.rep {
                InstanceRep::Each(k, _) => Value::string(k.as_str()),
                _ => return Err(not_here(subject, range)),
            },
            Subject::EachValue => match &self.rep {
                InstanceRep::Each(_, v) => v.clone(),
                _ => return Err(not_here(subject, range)),
            },
            Subject::PathModule => Value::string(self.module_dir()),
            Subject::PathRoot => Value::string("."),
            Subject::PathCwd => Value::string(self.walk.opts.cwd.to_string_lossy().as_ref()),
            Subject::TerraformWorkspace => Value::string(self.walk.opts.workspace.as_str()),
            Subject::SelfObject => return Err(not_here(subject, range)),
        })
    }

    fn has_count(&self) -> bool {
        matches!(self.rep, InstanceRep::Count(_))
    }

    fn has_each(&self) -> bool {
        matches!(self.rep, InstanceRep::Each(..))
    }
}

impl Special<'_, '_> {
    pub fn eval(&self, e: &Expr) -> Result<Value, Diagnostics> {
        let ctx = EvalContext::new(self, &self.inner.walk.functions);
        eval(e, &ctx)
    }
}

impl Scope for Special<'_, '_> {
    fn get(&self, subject: &Subject, range: &Range) -> Result<Value, Diagnostic> {
        if self.constant {
            return Err(Diagnostic::error("Variables not allowed")
                .at(range)
                .detail(format!("Variables may not be used here: {subject} cannot be referred to in a variable value or default."))
                .hint("write a literal value"));
        }
        if let (Some((name, v)), Subject::Var(n)) = (&self.var_override, subject) {
            if n == name {
                return Ok(v.clone());
            }
        }
        self.inner.get(subject, range)
    }
}

fn not_here(subject: &Subject, range: &Range) -> Diagnostic {
    Diagnostic::error(format!("Reference to {subject} is not available here"))
        .at(range)
        .detail(format!("{subject} is only available in a block that sets the matching count or for_each argument."))
        .hint("remove the reference or set count/for_each on the block")
}
