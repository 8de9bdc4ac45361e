//! Resources during the walk: provider configuration, count/for_each expansion, refresh,
//! planning each instance with its provider, and the value references see.

use super::resource::{config_value, mark_sensitive, remark, secrets_of};
use super::scope::InstanceRep;
use super::walk::Walk;
use crate::addrs::{InstanceKey, ModuleInstance, ResourceInstance, Target};
use crate::config::{IgnoreChanges, Mode, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::NodeKind;
use crate::lang::ast::{ExprKind, TraversalOp};
use crate::lang::types::Type;
use crate::lang::value::{Kind, Value};
use crate::plan::{Action, Adopted, Adoption, Drift, Reason, ResourceChange};
use crate::provider::{OpContext, PlanRequest, ProviderInstance, Registry, ResourceType};
use futures::future::join_all as futures_join_all;
use indexmap::IndexMap;
use petgraph::graph::NodeIndex;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Where a resource's provider configuration is looked up.
#[derive(Clone, Copy)]
pub(super) enum Site<'a> {
    /// Instance `.1` of the walk's module slot `.0`.
    Instance(usize, usize),
    /// The module instance of an object the configuration no longer declares (it may be gone
    /// too, or not expanded in a destroy); the provider key is then the recorded reference
    /// (`module.p.aws`, see [`crate::config::tree::provider_ref`]).
    Orphan(&'a ModuleInstance),
}

/// Which instances of a node --target selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetFilter {
    /// The instances a target names.
    Covered,
    /// The instances in module instances that may depend on a target (see
    /// [`Target::may_reach`]).
    Reachable,
}

/// What the state says about one instance, as the engine needs it.
#[derive(Debug, Clone)]
pub struct PriorInstance {
    /// The attributes (an object of the type's schema).
    pub value: Value,
    /// The provider configuration key in its module (`aws`, `aws.east`).
    pub provider: String,
    pub tainted: bool,
    pub dependencies: Vec<String>,
    /// A placeholder left by a create that was cut off (a crash): the create's idempotency
    /// token. Planning asks the provider for the object by it (adopt) or creates it again.
    pub intent: Option<String>,
}

/// How planning treats the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum PlanMode {
    #[default]
    Normal,
    /// `sakk destroy` / `plan --destroy`: every instance is deleted.
    Destroy,
    /// `sakk refresh` / `apply --refresh-only`: only update the state from reality.
    RefreshOnly,
}

/// Everything resource planning needs beyond the configuration.
pub struct ResourceOptions<'r> {
    pub providers: &'r Registry,
    pub prior: &'r IndexMap<ResourceInstance, PriorInstance>,
    /// The state's deposed objects (old objects a create_before_destroy kept), by address and
    /// deposed key: a plan destroys them.
    pub deposed: &'r IndexMap<(ResourceInstance, String), PriorInstance>,
    pub mode: PlanMode,
    /// Read every prior instance from its provider first (`--refresh=false` skips it).
    pub refresh: bool,
    /// `--replace ADDR`
    pub replace: Vec<ResourceInstance>,
    /// `--target ADDR`: only these (and what they depend on) are planned.
    pub targets: Vec<Target>,
    /// `sakk import ADDR ID`: (address, id) imported in addition to the `import` blocks.
    pub imports: Vec<(ResourceInstance, String)>,
    /// Runs provider I/O (configure, refresh reads, data sources) during the walk.
    pub runtime: tokio::runtime::Handle,
}

/// What resource planning produced.
#[derive(Default)]
pub(super) struct ResourceState {
    pub changes: Vec<ResourceChange>,
    pub drift: Vec<Drift>,
    pub adopted: Vec<crate::plan::Adopted>,
    /// Configured provider instances by (module slot, module instance, provider key).
    pub instances: HashMap<(usize, usize, String), Arc<dyn ProviderInstance>>,
    /// Every distinct provider instance: (provider name, configuration, instance).
    pub configured: Vec<(&'static str, Value, Arc<dyn ProviderInstance>)>,
    /// Prior instances that the configuration still has (the rest are deleted).
    pub seen: HashSet<ResourceInstance>,
    /// Nodes excluded by --target (their changes are not planned).
    pub untargeted: HashSet<NodeIndex>,
    /// Nodes of which --target selects only some instances (`-target='module.m["b"]'` leaves
    /// `module.m["a"]` alone).
    pub target_filters: HashMap<NodeIndex, TargetFilter>,
}

fn noop_ctx(address: String) -> OpContext {
    OpContext {
        address,
        idempotency_token: String::new(),
        progress: Arc::new(|_| {}),
    }
}

impl<'c> Walk<'c> {
    /// The configured provider instance a resource at `site` uses. The provider block is the
    /// module's own or an ancestor's (see [`crate::config::Config::resolve_provider`]); a module
    /// called with count/for_each gets one provider configuration per instance (the fleet's
    /// clusters in different regions). Instances whose configurations are equal share one
    /// provider instance (one GitOps commit per repository). With no provider block anywhere
    /// the configuration is empty.
    pub(super) fn provider_for(
        &self,
        site: Site<'_>,
        key: &str,
        mode: Mode,
        type_: &str,
        at: &crate::diag::Range,
        diags: &mut Diagnostics,
    ) -> Option<(Arc<dyn ProviderInstance>, ResourceType)> {
        let ro = self.resources.as_ref()?;
        let Some(p) = ro.providers.for_type(type_) else {
            diags.push(
                Diagnostic::error(format!("No provider for resource type \"{type_}\""))
                    .at(at)
                    .detail(format!(
                        "None of this build's providers ({}) has a resource or data source type named \"{type_}\".",
                        ro.providers.names().collect::<Vec<_>>().join(", ")
                    ))
                    .hint("check the spelling of the type"),
            );
            return None;
        };
        let types = match mode {
            Mode::Managed => p.resource_types(),
            Mode::Data => p.data_types(),
        };
        let Some(rt) = types.get(type_).cloned() else {
            let what = if mode == Mode::Data {
                "data source"
            } else {
                "resource"
            };
            diags.push(
                Diagnostic::error(format!("Unsupported {what} type \"{type_}\""))
                    .at(at)
                    .detail(format!(
                        "The provider \"{}\" has no {what} type named \"{type_}\".",
                        p.name()
                    ))
                    .hint("check the type name, and whether it is a resource or a data source"),
            );
            return None;
        };
        let (s, i, key) = self.configuring_block(site, key, type_, at, diags)?;
        let key = key.as_str();
        let configured_here = self.slots[s].module.providers.get(key);
        let cache_key = (s, i, key.to_string());
        if let Some(pi) = self.res_state.borrow().instances.get(&cache_key) {
            return Some((pi.clone(), rt));
        }
        // Configure it now (the provider block node has been visited: resources depend on it).
        let config = match configured_here {
            Some(pc) => {
                let eval = |e: &crate::lang::ast::Expr, it: &crate::lang::value::Attrs| {
                    self.eval_value_with(s, i, InstanceRep::None, e, it)
                };
                config_value(
                    &pc.body,
                    p.config_schema(),
                    &format!("provider \"{key}\""),
                    &eval,
                    diags,
                )?
            }
            None => {
                let ty = p.config_schema().object_type();
                let attrs = ty
                    .attribute_types()
                    .map(|a| {
                        a.iter()
                            .map(|(k, t)| (k.clone(), Value::null(t.clone())))
                            .collect()
                    })
                    .unwrap_or_default();
                Value::object(attrs)
            }
        };
        // An equal, fully known configuration of the same provider: share its instance.
        let shared = config.is_wholly_known().then(|| {
            self.res_state
                .borrow()
                .configured
                .iter()
                .find(|(name, c, _)| *name == p.name() && c.raw_equal(&config))
                .map(|(_, _, pi)| pi.clone())
        });
        if let Some(Some(pi)) = shared {
            self.res_state
                .borrow_mut()
                .instances
                .insert(cache_key, pi.clone());
            return Some((pi, rt));
        }
        match block_on(&ro.runtime, p.configure(&config)) {
            Ok(pi) => {
                let mut st = self.res_state.borrow_mut();
                st.instances.insert(cache_key, pi.clone());
                st.configured.push((p.name(), config, pi.clone()));
                Some((pi, rt))
            }
            Err(e) => {
                diags.push(
                    Diagnostic::error(format!(
                        "Failed to configure provider \"{key}\": {}",
                        e.summary
                    ))
                    .at(at)
                    .detail(e.detail.clone())
                    .hint(
                        e.hint.clone().unwrap_or_else(|| {
                            "check the provider block and the credentials".into()
                        }),
                    ),
                );
                None
            }
        }
    }

    /// The provider block that configures a resource at `site` (its module's or an
    /// ancestor's): (module slot, module instance, key there). An object whose configuring
    /// module or instance is gone is refused: its configuration (a region, say) went with it.
    fn configuring_block(
        &self,
        site: Site<'_>,
        key: &str,
        type_: &str,
        at: &crate::diag::Range,
        diags: &mut Diagnostics,
    ) -> Option<(usize, usize, String)> {
        let (s, i, key) = match site {
            Site::Instance(slot, inst) => {
                let path = &self.slots[slot].path;
                let (depth, key) = self.config.resolve_provider(path, key);
                let (mut s, mut i) = (slot, Some(inst));
                for _ in depth..path.len() {
                    i = i.and_then(|i| self.slots[s].instances[i].parent);
                    s = self.parent_slot(s)?;
                }
                (s, i, key)
            }
            Site::Orphan(addr) => {
                // Where its configuration was recorded to be (the root's, or a module's block
                // that must still be there: sakk cannot know otherwise how it was reached).
                let (module, recorded) = crate::config::tree::split_provider_ref(key);
                let depth = module.len();
                let here = self
                    .slot_of
                    .get(&module)
                    .copied()
                    .filter(|s| {
                        depth == 0 || self.slots[*s].module.providers.contains_key(recorded)
                    })
                    .filter(|_| addr.0.len() >= depth);
                let Some(s) = here else {
                    let place = crate::config::tree::module_path_string(&module);
                    diags.push(
                        Diagnostic::error("Provider configuration not present")
                            .at(at)
                            .detail(format!(
                                "To work with a {type_} of {addr} its original provider configuration \"{recorded}\" of {place} is required, but the configuration no longer has it. This happens when a module with its own provider block is removed while objects it made still exist."
                            ))
                            .hint(format!(
                                "put {place} (with its provider block) back, destroy its objects with `sakk destroy -target={place}`, then remove it"
                            )),
                    );
                    return None;
                };
                let owner = ModuleInstance(addr.0[..depth].to_vec());
                let i = self.slots[s].instances.iter().position(|m| m.addr == owner);
                (s, i, recorded.to_string())
            }
        };
        let configured_here = self.slots[s].module.providers.get(&key);
        let i = match (i, configured_here) {
            (Some(i), _) => i,
            // The root module has one instance; without a provider block the configuration is
            // empty whatever the instance.
            (None, None) => 0,
            (None, Some(_)) if s == 0 => 0,
            (None, Some(pc)) => {
                let module = crate::config::tree::module_path_string(&self.slots[s].path);
                diags.push(
                    Diagnostic::error(format!("Provider configuration not present for {type_}"))
                        .at(&pc.decl_range)
                        .detail(format!(
                            "An object of this type belongs to an instance of {module} that the configuration no longer has, and its provider configuration \"{key}\" is set per instance of {module} (for example its region), so sakk cannot know how to reach the object to delete it."
                        ))
                        .hint(format!(
                            "put the instance back, destroy it with `sakk destroy -target='<instance of {module}>'`, then remove it"
                        )),
                );
                return None;
            }
        };
        Some((s, i, key))
    }

    /// The instance keys of resource `r` in instance `i` of `slot`, from its count/for_each.
    pub(super) fn instance_keys(
        &self,
        slot: usize,
        i: usize,
        r: &Resource,
        diags: &mut Diagnostics,
    ) -> Option<Vec<(Option<InstanceKey>, InstanceRep)>> {
        let eval = |e, diags: &mut Diagnostics| {
            self.eval_value(slot, i, InstanceRep::None, e)
                .map_err(|d| diags.extend(d))
                .ok()
        };
        Some(if let Some(e) = &r.count {
            let v = eval(e, diags)?;
            let k = self.resource_count(slot, r, &v, e, diags)?;
            (0..k)
                .map(|k| (Some(InstanceKey::Int(k)), InstanceRep::Count(k)))
                .collect()
        } else if let Some(e) = &r.for_each {
            let v = eval(e, diags)?;
            self.resource_for_each(slot, r, &v, e, diags)?
                .into_iter()
                .map(|(k, v)| (Some(InstanceKey::Str(k.clone())), InstanceRep::Each(k, v)))
                .collect()
        } else {
            vec![(None, InstanceRep::None)]
        })
    }

    /// The provider configuration recorded with objects of resource `r` in `slot` (see
    /// [`crate::config::tree::provider_ref`]).
    pub(super) fn provider_ref(&self, slot: usize, r: &Resource) -> String {
        let path = &self.slots[slot].path;
        let (depth, key) = self.config.resolve_provider(path, &r.provider_key());
        crate::config::tree::provider_ref(&path[..depth], &key)
    }

    pub(super) fn parent_slot(&self, slot: usize) -> Option<usize> {
        let (_, parent) = self.slots[slot].path.split_last()?;
        self.slot_of.get(parent).copied()
    }

    /// Visits a resource or data node in every instance of its module.
    pub(super) fn visit_resource(
        &mut self,
        n: NodeIndex,
        slot: usize,
        r: &'c Resource,
        diags: &mut Diagnostics,
    ) -> Vec<Option<Value>> {
        let count = self.slots[slot].instances.len();
        let mut vals = Vec::with_capacity(count);
        if self.res_state.borrow().untargeted.contains(&n) {
            // Not targeted: keep prior values so references still work.
            for i in 0..count {
                vals.push(Some(self.prior_object(slot, i, r)));
            }
            return vals;
        }
        for i in 0..count {
            vals.push(self.plan_resource_in(n, slot, i, r, diags));
        }
        vals
    }

    /// The reference value made of prior state only (for untargeted resources).
    fn prior_object(&self, slot: usize, i: usize, r: &Resource) -> Value {
        let Some(ro) = self.resources.as_ref() else {
            return Value::unknown(Type::Dynamic);
        };
        let module = &self.slots[slot].instances[i].addr;
        let mut items: Vec<(Option<InstanceKey>, Value)> = ro
            .prior
            .iter()
            .filter(|(a, _)| {
                &a.module == module && a.mode == r.mode && a.type_ == r.type_ && a.name == r.name
            })
            .map(|(a, p)| (a.key.clone(), p.value.clone()))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        aggregate(r, items)
    }

    fn plan_resource_in(
        &mut self,
        n: NodeIndex,
        slot: usize,
        i: usize,
        r: &'c Resource,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let ro = self.resources.as_ref()?;
        let module_addr = self.slots[slot].instances[i].addr.clone();
        let (pi, rt) = self.provider_for(
            Site::Instance(slot, i),
            &r.provider_key(),
            r.mode,
            &r.type_,
            &r.decl_range,
            diags,
        )?;
        // Expand. A destroy deletes the instances the state has, whatever count/for_each say
        // now (they may depend on data sources a destroy does not read).
        let keys: Vec<(Option<InstanceKey>, InstanceRep)> =
            if ro.mode == PlanMode::Destroy && r.mode == Mode::Managed {
                let mut keys: Vec<_> = ro
                    .prior
                    .keys()
                    .filter(|a| same_resource(a, &module_addr, r))
                    .map(|a| (a.key.clone(), InstanceRep::None))
                    .collect();
                keys.sort_by(|a, b| a.0.cmp(&b.0));
                keys
            } else {
                self.instance_keys(slot, i, r, diags)?
            };
        let deps = self.resource_dependencies(n);
        let provider_ref = self.provider_ref(slot, r);
        let mode = ro.mode;
        let what = format!(
            "{}",
            ResourceInstance {
                module: module_addr.clone(),
                mode: r.mode,
                type_: r.type_.clone(),
                name: r.name.clone(),
                key: None,
            }
        );
        // Refresh every prior instance of this resource in this module instance, concurrently.
        let prior_addrs: Vec<ResourceInstance> = ro
            .prior
            .keys()
            .filter(|a| {
                a.module == module_addr
                    && a.mode == r.mode
                    && a.type_ == r.type_
                    && a.name == r.name
            })
            .cloned()
            .collect();
        let mut refreshed: HashMap<ResourceInstance, Option<Value>> = HashMap::new();
        if r.mode == Mode::Managed {
            let reads = prior_addrs.iter().map(|a| {
                let pi = pi.clone();
                let prior = ro.prior.get(a).map(|p| p.value.clone());
                let intent = ro.prior.get(a).and_then(|p| p.intent.clone());
                let type_ = r.type_.clone();
                let refresh = ro.refresh;
                let addr = a.clone();
                async move {
                    let Some(prior) = prior else {
                        return (addr, Ok(None));
                    };
                    if let Some(token) = intent {
                        // A create cut off by a crash: did it make the object?
                        let r = pi.find_by_token(&type_, &prior, &token).await;
                        return (addr, r);
                    }
                    if !refresh {
                        return (addr, Ok(Some(prior)));
                    }
                    let ctx = noop_ctx(addr.to_string());
                    let r = pi.read(&type_, &prior, &ctx).await;
                    (addr, r)
                }
            });
            let results = block_on(&ro.runtime, futures_join_all(reads));
            let mut refresh_failed = false;
            for (a, res) in results {
                let a: ResourceInstance = a;
                let res: crate::provider::ProviderResult<Option<Value>> = res;
                match res {
                    Ok(v) => {
                        // What the provider read, with the marks the state had.
                        let v = match ro.prior.get(&a) {
                            Some(p) => v.map(|v| remark(v, &rt.schema, &[&p.value])),
                            None => v.map(|v| mark_sensitive(v, &rt.schema)),
                        };
                        if let Some(token) = ro.prior.get(&a).and_then(|p| p.intent.as_ref()) {
                            if let Some(found) = &v {
                                self.res_state.borrow_mut().adopted.push(Adopted {
                                    addr: a.clone(),
                                    provider: provider_ref.clone(),
                                    value: found.clone(),
                                    dependencies: deps.clone(),
                                    how: Adoption::Token(token.clone()),
                                });
                            } else if mode != PlanMode::Normal {
                                // A create that made nothing, in a destroy or a refresh: its
                                // placeholder leaves the state (a plan creates it again).
                                if let Some(p) = ro.prior.get(&a) {
                                    self.res_state.borrow_mut().drift.push(Drift {
                                        addr: a.clone(),
                                        before: p.value.clone(),
                                        after: None,
                                        deposed: None,
                                    });
                                }
                            }
                        } else if let (Some(p), Some(now)) = (ro.prior.get(&a), &v) {
                            if !p.value.raw_equal(now) {
                                self.res_state.borrow_mut().drift.push(Drift {
                                    addr: a.clone(),
                                    before: p.value.clone(),
                                    after: Some(now.clone()),
                                    deposed: None,
                                });
                            }
                        } else if let (Some(p), None) = (ro.prior.get(&a), &v) {
                            self.res_state.borrow_mut().drift.push(Drift {
                                addr: a.clone(),
                                before: p.value.clone(),
                                after: None,
                                deposed: None,
                            });
                        }
                        refreshed.insert(a, v);
                    }
                    Err(e) => {
                        // Failed, not gone: it must not be read again as an orphan.
                        self.res_state.borrow_mut().seen.insert(a.clone());
                        let e = match ro.prior.get(&a) {
                            Some(p) => e.redact(&secrets_of(&[&p.value])),
                            None => e,
                        };
                        diags.push(
                            Diagnostic::error(format!("Error refreshing {a}: {}", e.summary))
                                .at(&r.decl_range)
                                .detail(e.detail.clone())
                                .hint(e.hint.clone().unwrap_or_else(|| {
                                    "check the credentials and that the object is reachable".into()
                                })),
                        );
                        refresh_failed = true;
                    }
                }
            }
            if refresh_failed {
                return None;
            }
        }

        let mut items: Vec<(Option<InstanceKey>, Value)> = Vec::with_capacity(keys.len());
        let mut planned_keys: HashSet<Option<InstanceKey>> = HashSet::new();
        let filter = self.res_state.borrow().target_filters.get(&n).copied();
        let selected = |a: &ResourceInstance| match filter {
            None => true,
            Some(TargetFilter::Covered) => ro.targets.iter().any(|t| t.covers(a)),
            Some(TargetFilter::Reachable) => ro.targets.iter().any(|t| t.may_reach(&a.module)),
        };
        for (key, rep) in keys {
            let addr = ResourceInstance {
                module: module_addr.clone(),
                mode: r.mode,
                type_: r.type_.clone(),
                name: r.name.clone(),
                key: key.clone(),
            };
            planned_keys.insert(key.clone());
            if !selected(&addr) {
                // Not targeted: keep what the state has, so references still work.
                if let Some(p) = ro.prior.get(&addr) {
                    self.res_state.borrow_mut().seen.insert(addr.clone());
                    items.push((key, mark_sensitive(p.value.clone(), &rt.schema)));
                }
                continue;
            }
            let mut prior = refreshed.get(&addr).cloned().flatten();
            let prior_meta = ro.prior.get(&addr);
            if prior_meta.is_none() && r.mode == Mode::Managed && mode == PlanMode::Normal {
                if let Some((id, at)) = self.import_for(&addr, diags) {
                    let ctx = noop_ctx(addr.to_string());
                    match block_on(&ro.runtime, pi.import(&r.type_, &id, &ctx)) {
                        Ok(v) => {
                            let v = mark_sensitive(v, &rt.schema);
                            self.res_state.borrow_mut().adopted.push(Adopted {
                                addr: addr.clone(),
                                provider: provider_ref.clone(),
                                value: v.clone(),
                                dependencies: deps.clone(),
                                how: Adoption::Import(id.clone()),
                            });
                            prior = Some(v);
                        }
                        Err(e) => {
                            diags.push(
                                Diagnostic::error(format!(
                                    "Cannot import {addr} (id \"{id}\"): {}",
                                    e.summary
                                ))
                                .at(at.as_ref().unwrap_or(&r.decl_range))
                                .detail(e.detail.clone())
                                .hint(
                                    e.hint.clone().unwrap_or_else(|| {
                                        "check the ID of the existing object".into()
                                    }),
                                ),
                            );
                            continue;
                        }
                    }
                }
            }
            if prior_meta.is_some() {
                self.res_state.borrow_mut().seen.insert(addr.clone());
            }
            if mode == PlanMode::Destroy && r.mode == Mode::Managed {
                if let Some(p) = prior {
                    if r.lifecycle.prevent_destroy {
                        diags.push(prevent_destroy_error(&addr, r));
                    }
                    self.push_change(ResourceChange {
                        addr: addr.clone(),
                        provider: provider_ref.clone(),
                        action: Action::Delete,
                        before: Some(p.clone()),
                        after: None,
                        reason: Some(Reason::Destroy),
                        dependencies: deps.clone(),
                        deposed: None,
                        token: None,
                    });
                    items.push((key, p));
                }
                continue;
            }
            let eval = |e: &crate::lang::ast::Expr, it: &crate::lang::value::Attrs| {
                self.eval_value_with(slot, i, rep.clone(), e, it)
            };
            // A destroy reads no data source; one whose arguments refer to instances already
            // gone (a destroy that was cut off) must not stop it.
            let mut scratch = Diagnostics::new();
            let config_diags = match (mode, r.mode) {
                (PlanMode::Destroy, Mode::Data) => &mut scratch,
                _ => &mut *diags,
            };
            let Some(config) = config_value(&r.body, &rt.schema, &what, &eval, config_diags) else {
                items.push((key, Value::unknown(rt.schema.object_type())));
                continue;
            };
            if mode == PlanMode::Destroy && r.mode == Mode::Data {
                items.push((key, Value::unknown(rt.schema.object_type())));
                continue;
            }
            if r.mode == Mode::Data {
                let v = if config.is_wholly_known() && mode != PlanMode::Destroy {
                    let ctx = noop_ctx(addr.to_string());
                    match block_on(&ro.runtime, pi.read_data(&r.type_, &config, &ctx)) {
                        Ok(v) => remark(v, &rt.schema, &[&config]),
                        Err(e) => {
                            let e = e.redact(&secrets_of(&[&config]));
                            diags.push(
                                Diagnostic::error(format!("Error reading {addr}: {}", e.summary))
                                    .at(&r.decl_range)
                                    .detail(e.detail.clone())
                                    .hint(e.hint.clone().unwrap_or_else(|| {
                                        "check the data source's arguments".into()
                                    })),
                            );
                            continue;
                        }
                    }
                } else {
                    self.push_change(ResourceChange {
                        addr: addr.clone(),
                        provider: provider_ref.clone(),
                        action: Action::Read,
                        before: None,
                        after: Some(config.clone()),
                        reason: None,
                        dependencies: deps.clone(),
                        deposed: None,
                        token: None,
                    });
                    Value::unknown(rt.schema.object_type())
                };
                items.push((key, v));
                continue;
            }
            if mode == PlanMode::RefreshOnly {
                // An instance the state does not have (or that is gone) is unknown to what
                // refers to it: a reference by its key must still evaluate.
                let v = prior.unwrap_or_else(|| Value::unknown(rt.schema.object_type()));
                items.push((key, v));
                continue;
            }
            // ignore_changes: the provider plans from the prior values of the ignored arguments.
            let config = match &prior {
                Some(p) => ignored_from_prior(r, p, &config),
                None => config,
            };
            let planned = match pi.plan(PlanRequest {
                type_: &r.type_,
                prior: prior.as_ref(),
                config: &config,
            }) {
                Ok(p) => p,
                Err(e) => {
                    let e = e.redact(&secrets_of(&[&config]));
                    diags.push(
                        Diagnostic::error(format!(
                            "Invalid configuration for {addr}: {}",
                            e.summary
                        ))
                        .at(&r.decl_range)
                        .detail(match &e.attribute {
                            Some(a) => format!("{} (attribute {a})", e.detail),
                            None => e.detail.clone(),
                        })
                        .hint(
                            e.hint
                                .clone()
                                .unwrap_or_else(|| "check the resource's arguments".into()),
                        ),
                    );
                    continue;
                }
            };
            let mut after = remark(planned.planned, &rt.schema, &[&config]);
            let mut replace_paths = planned.requires_replace;
            if let (Some(p), IgnoreChanges::Paths(paths)) = (&prior, &r.lifecycle.ignore_changes) {
                let names: Vec<String> = paths.iter().filter_map(ignore_path_root).collect();
                after = keep_prior_attrs(&after, p, &names);
                replace_paths.retain(|path| {
                    !names
                        .iter()
                        .any(|nm| path == nm || path.starts_with(&format!("{nm}.")))
                });
            }
            if let (Some(p), IgnoreChanges::All) = (&prior, &r.lifecycle.ignore_changes) {
                after = p.clone();
                replace_paths.clear();
            }
            let tainted = prior_meta.is_some_and(|m| m.tainted) && prior.is_some();
            let requested = ro.replace.iter().any(|a| a == &addr);
            let (action, reason) = match &prior {
                None if prior_meta.is_some_and(|m| m.intent.is_none()) => {
                    (Action::Create, Some(Reason::GoneOutOfBand))
                }
                None => (Action::Create, None),
                Some(_) if tainted => (replace_action(r), Some(Reason::Tainted)),
                Some(_) if requested => (replace_action(r), Some(Reason::Requested)),
                Some(_) if !replace_paths.is_empty() => (
                    replace_action(r),
                    Some(Reason::ForcesReplacement(replace_paths.clone())),
                ),
                Some(p) if p.raw_equal(&after) => (Action::NoOp, None),
                Some(_) => (Action::Update, None),
            };
            if action.is_replace() && r.lifecycle.prevent_destroy {
                diags.push(prevent_destroy_error(&addr, r));
            }
            if action.is_replace() {
                // The replacement is a new object: planned as a create (computed attributes
                // known after apply), as the apply will plan it.
                match pi.plan(PlanRequest {
                    type_: &r.type_,
                    prior: None,
                    config: &config,
                }) {
                    Ok(p) => after = remark(p.planned, &rt.schema, &[&config]),
                    Err(e) => {
                        let e = e.redact(&secrets_of(&[&config]));
                        diags.push(
                            Diagnostic::error(format!(
                                "Invalid configuration for {addr}: {}",
                                e.summary
                            ))
                            .at(&r.decl_range)
                            .detail(e.detail.clone()),
                        );
                        continue;
                    }
                }
            }
            self.push_change(ResourceChange {
                addr: addr.clone(),
                provider: provider_ref.clone(),
                action,
                before: prior.clone(),
                after: Some(after.clone()),
                reason,
                dependencies: deps.clone(),
                deposed: None,
                // The create after an unresolved intent reuses its idempotency token.
                token: match (&prior, action) {
                    (None, Action::Create) => prior_meta.and_then(|m| m.intent.clone()),
                    _ => None,
                },
            });
            items.push((key, after));
        }
        // Prior instances whose key is no longer in count/for_each.
        {
            for a in prior_addrs {
                if planned_keys.contains(&a.key) {
                    continue;
                }
                self.res_state.borrow_mut().seen.insert(a.clone());
                // Refresh-only: read above (and reported if gone); nothing is deleted.
                if mode == PlanMode::RefreshOnly || !selected(&a) {
                    continue;
                }
                let p = match refreshed.get(&a).cloned() {
                    Some(Some(p)) => p,
                    // A placeholder of a create that made nothing: drop it from the state.
                    _ => match ro.prior.get(&a).filter(|p| p.intent.is_some()) {
                        Some(p) => p.value.clone(),
                        None => continue,
                    },
                };
                if r.mode == Mode::Data {
                    continue;
                }
                if r.lifecycle.prevent_destroy {
                    diags.push(prevent_destroy_error(&a, r));
                }
                self.push_change(ResourceChange {
                    addr: a.clone(),
                    provider: provider_ref.clone(),
                    action: Action::Delete,
                    before: Some(p),
                    after: None,
                    reason: Some(Reason::KeyNotInConfig),
                    dependencies: deps.clone(),
                    deposed: None,
                    token: None,
                });
            }
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        Some(aggregate(r, items))
    }

    fn push_change(&self, c: ResourceChange) {
        self.res_state.borrow_mut().changes.push(c);
    }

    /// The nearest resources a resource node depends on (through variables, locals, outputs and
    /// module calls): what the state records as its direct dependencies.
    fn resource_dependencies(&self, n: NodeIndex) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<NodeIndex> = self.graph.g.neighbors(n).collect();
        while let Some(d) = stack.pop() {
            if !seen.insert(d) {
                continue;
            }
            let node = &self.graph.g[d];
            match &node.addr.kind {
                NodeKind::Resource { .. } => out.push(node.addr.to_string()),
                NodeKind::Provider(_) => {}
                _ => stack.extend(self.graph.g.neighbors(d)),
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// The value references see: one object, a tuple (count) or an object keyed by for_each key.
fn aggregate(r: &Resource, items: Vec<(Option<InstanceKey>, Value)>) -> Value {
    if r.count.is_some() {
        Value::tuple(items.into_iter().map(|(_, v)| v).collect())
    } else if r.for_each.is_some() {
        Value::object(
            items
                .into_iter()
                .filter_map(|(k, v)| match k {
                    Some(InstanceKey::Str(s)) => Some((s, v)),
                    _ => None,
                })
                .collect(),
        )
    } else {
        items
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .unwrap_or_else(|| Value::unknown(Type::Dynamic))
    }
}

fn replace_action(r: &Resource) -> Action {
    if r.lifecycle.create_before_destroy {
        Action::CreateThenDelete
    } else {
        Action::DeleteThenCreate
    }
}

fn prevent_destroy_error(addr: &ResourceInstance, r: &Resource) -> Diagnostic {
    let at = r.lifecycle.range.as_ref().unwrap_or(&r.decl_range);
    Diagnostic::error("Instance cannot be destroyed")
        .at(at)
        .detail(format!(
            "Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using --target."
        ))
        .hint("remove prevent_destroy if destroying it is really intended")
}

/// The top-level attribute an `ignore_changes` entry names (`tags`, `tags["Name"]` -> `tags`).
fn ignore_path_root(e: &crate::lang::ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Variable(v) => Some(v.clone()),
        ExprKind::Traversal { base, ops } => match (&base.kind, ops.first()) {
            (ExprKind::Variable(v), _) => Some(v.clone()),
            (_, Some(TraversalOp::GetAttr(a, _))) => Some(a.clone()),
            _ => None,
        },
        ExprKind::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The configuration with the arguments `ignore_changes` names taken from the prior state.
pub(super) fn ignored_from_prior(r: &Resource, prior: &Value, config: &Value) -> Value {
    match &r.lifecycle.ignore_changes {
        IgnoreChanges::Paths(paths) if !paths.is_empty() => {
            let names: Vec<String> = paths.iter().filter_map(ignore_path_root).collect();
            keep_prior_attrs(config, prior, &names)
        }
        IgnoreChanges::All => {
            let (Kind::Object(c), Kind::Object(p)) = (config.kind(), prior.kind()) else {
                return config.clone();
            };
            Value::object(
                c.iter()
                    .map(|(k, v)| (k.clone(), p.get(k).cloned().unwrap_or_else(|| v.clone())))
                    .collect(),
            )
        }
        _ => config.clone(),
    }
}

/// `after` with the named top-level attributes taken from `prior`.
fn keep_prior_attrs(after: &Value, prior: &Value, names: &[String]) -> Value {
    let (Kind::Object(a), Kind::Object(p)) = (after.kind(), prior.kind()) else {
        return after.clone();
    };
    Value::object(
        a.iter()
            .map(|(k, v)| {
                if names.iter().any(|n| n == k) {
                    (k.clone(), p.get(k).cloned().unwrap_or_else(|| v.clone()))
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect(),
    )
}

/// The module instance of an address, for grouping.
pub fn same_resource(a: &ResourceInstance, module: &ModuleInstance, r: &Resource) -> bool {
    &a.module == module && a.mode == r.mode && a.type_ == r.type_ && a.name == r.name
}

impl<'c> Walk<'c> {
    /// With --target: every resource node that is neither a target nor something a target
    /// depends on is left alone.
    pub(super) fn mark_untargeted(&mut self) {
        let Some(ro) = self.resources.as_ref() else {
            return;
        };
        if ro.targets.is_empty() {
            return;
        }
        let mut keep: HashSet<NodeIndex> = HashSet::new();
        let mut stack: Vec<NodeIndex> = Vec::new();
        for n in self.graph.g.node_indices() {
            let addr = &self.graph.g[n].addr;
            let hit = ro.targets.iter().any(|t| match t {
                Target::Module(m) => addr.module.starts_with(&m.path()),
                Target::Resource(r) => {
                    addr.module == r.module.path()
                        && matches!(&addr.kind, NodeKind::Resource { mode, type_, name } if *mode == r.mode && type_ == &r.type_ && name == &r.name)
                }
            });
            if hit {
                stack.push(n);
            }
        }
        // A plan takes what the targets depend on along; a destroy takes what depends on them.
        let direction = if ro.mode == PlanMode::Destroy {
            petgraph::Direction::Incoming
        } else {
            petgraph::Direction::Outgoing
        };
        let hits: HashSet<NodeIndex> = stack.iter().copied().collect();
        let mut reached: HashSet<NodeIndex> = HashSet::new();
        while let Some(n) = stack.pop() {
            if keep.insert(n) {
                for d in self.graph.g.neighbors_directed(n, direction) {
                    reached.insert(d);
                    stack.push(d);
                }
            }
        }
        // Targets are planned in the instances they name. What they depend on is planned
        // wholly; what depends on them (a destroy) in the instances they may reach.
        let mut filters: HashMap<NodeIndex, TargetFilter> = hits
            .difference(&reached)
            .map(|n| (*n, TargetFilter::Covered))
            .collect();
        if ro.mode == PlanMode::Destroy {
            filters.extend(reached.iter().map(|n| (*n, TargetFilter::Reachable)));
        }
        self.res_state.borrow_mut().target_filters = filters;
        let untargeted: HashSet<NodeIndex> = self
            .graph
            .g
            .node_indices()
            .filter(|n| {
                matches!(self.graph.g[*n].addr.kind, NodeKind::Resource { .. }) && !keep.contains(n)
            })
            .collect();
        self.res_state.borrow_mut().untargeted = untargeted;
    }

    /// After the walk: delete what the state has and the configuration no longer does, and
    /// hand over the plan.
    pub(super) fn finish_plan(&mut self, diags: &mut Diagnostics) -> crate::plan::Plan {
        let Some(ro) = self.resources.as_ref() else {
            return Default::default();
        };
        let mut orphans: Vec<(ResourceInstance, PriorInstance)> = Vec::new();
        {
            let st = self.res_state.borrow();
            for (a, p) in ro.prior.iter() {
                if st.seen.contains(a) || a.mode == Mode::Data {
                    continue;
                }
                let targeted = ro.targets.is_empty() || ro.targets.iter().any(|t| t.covers(a));
                if targeted {
                    orphans.push((a.clone(), p.clone()));
                }
            }
        }
        for (a, p) in orphans {
            // Still read it: something deleted outside sakk needs no delete.
            let at = self.config.root.module.decl_range_hint();
            let Some((pi, rt)) = self.provider_for(
                Site::Orphan(&a.module),
                &p.provider,
                a.mode,
                &a.type_,
                &at,
                diags,
            ) else {
                continue;
            };
            let refresh_only = ro.mode == PlanMode::RefreshOnly;
            let current = if let Some(token) = &p.intent {
                match block_on(&ro.runtime, pi.find_by_token(&a.type_, &p.value, token)) {
                    // A refresh-only run drops a placeholder whose create made nothing.
                    Ok(None) if refresh_only => None,
                    Ok(v) => Some(v.unwrap_or_else(|| p.value.clone())),
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(format!("Error refreshing {a}: {}", e.summary))
                                .detail(e.detail),
                        );
                        continue;
                    }
                }
            } else if ro.refresh {
                let ctx = noop_ctx(a.to_string());
                match block_on(&ro.runtime, pi.read(&a.type_, &p.value, &ctx)) {
                    Ok(v) => v,
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(format!("Error refreshing {a}: {}", e.summary))
                                .detail(e.detail),
                        );
                        continue;
                    }
                }
            } else {
                Some(p.value.clone())
            };
            let Some(current) = current else {
                // Gone outside sakk: nothing to delete, and it leaves the state (Terraform's
                // refresh drops it and reports it deleted outside Terraform).
                self.res_state.borrow_mut().drift.push(Drift {
                    addr: a.clone(),
                    before: p.value.clone(),
                    after: None,
                    deposed: None,
                });
                continue;
            };
            let current = remark(current, &rt.schema, &[&p.value]);
            if refresh_only {
                if !p.value.raw_equal(&current) && p.intent.is_none() {
                    self.res_state.borrow_mut().drift.push(Drift {
                        addr: a.clone(),
                        before: p.value.clone(),
                        after: Some(current),
                        deposed: None,
                    });
                }
                continue;
            }
            self.push_change(ResourceChange {
                addr: a.clone(),
                provider: p.provider.clone(),
                action: Action::Delete,
                before: Some(current),
                after: None,
                reason: Some(if ro.mode == PlanMode::Destroy {
                    Reason::Destroy
                } else {
                    Reason::NoLongerInConfig
                }),
                dependencies: p.dependencies.clone(),
                deposed: None,
                token: None,
            });
        }
        self.plan_deposed(diags);
        self.propagate_create_before_destroy();
        self.warn_unfindable_creates(diags);
        let mut st = self.res_state.borrow_mut();
        let mut changes = std::mem::take(&mut st.changes);
        // The current object's change first, then its deposed objects'.
        changes.sort_by(|a, b| (&a.addr, &a.deposed).cmp(&(&b.addr, &b.deposed)));
        let mut adopted = std::mem::take(&mut st.adopted);
        adopted.sort_by(|a, b| a.addr.cmp(&b.addr));
        crate::plan::Plan {
            changes,
            drift: std::mem::take(&mut st.drift),
            outputs: IndexMap::new(),
            adopted,
            moved: Vec::new(),
        }
    }
}

impl<'c> Walk<'c> {
    /// Terraform's rule: create_before_destroy propagates to the dependencies of a resource
    /// that has it (transitively), so their replacements create first too (a destroy-then-
    /// create under a create_before_destroy dependent would make a cycle of destroy edges).
    fn propagate_create_before_destroy(&mut self) {
        let mut forced: HashSet<NodeIndex> = HashSet::new();
        let mut stack: Vec<NodeIndex> = Vec::new();
        for n in self.graph.g.node_indices() {
            if self
                .node_resource(n)
                .is_some_and(|r| r.lifecycle.create_before_destroy)
            {
                stack.push(n);
            }
        }
        let mut seen: HashSet<NodeIndex> = stack.iter().copied().collect();
        while let Some(n) = stack.pop() {
            for d in self.graph.g.neighbors(n) {
                if seen.insert(d) {
                    if self.node_resource(d).is_some() {
                        forced.insert(d);
                    }
                    stack.push(d);
                }
            }
        }
        if forced.is_empty() {
            return;
        }
        let mut st = self.res_state.borrow_mut();
        for c in st.changes.iter_mut() {
            if c.action != Action::DeleteThenCreate || c.deposed.is_some() {
                continue;
            }
            let node = self.slot_of.get(&c.addr.module.path()).and_then(|s| {
                self.slots[*s].nodes.get(&NodeKind::Resource {
                    mode: c.addr.mode,
                    type_: c.addr.type_.clone(),
                    name: c.addr.name.clone(),
                })
            });
            if node.is_some_and(|n| forced.contains(n)) {
                c.action = Action::CreateThenDelete;
            }
        }
    }

    /// The managed resource a graph node declares.
    fn node_resource(&self, n: NodeIndex) -> Option<&'c Resource> {
        let addr = &self.graph.g[n].addr;
        let NodeKind::Resource { mode, type_, name } = &addr.kind else {
            return None;
        };
        let slot = *self.slot_of.get(&addr.module)?;
        let module: &'c crate::config::Module = self.slots[slot].module;
        module
            .resources
            .get(&crate::config::resource_key(*mode, type_, name))
    }

    /// One warning per resource type the plan creates whose provider cannot find an object
    /// by the token of the create that made it: a crash between the create call and the state
    /// write may leave an object behind that sakk cannot find.
    fn warn_unfindable_creates(&self, diags: &mut Diagnostics) {
        let creates: Vec<(ResourceInstance, String)> = self
            .res_state
            .borrow()
            .changes
            .iter()
            .filter(|c| {
                c.deposed.is_none()
                    && matches!(
                        c.action,
                        Action::Create | Action::DeleteThenCreate | Action::CreateThenDelete
                    )
            })
            .map(|c| (c.addr.clone(), c.provider.clone()))
            .collect();
        let mut by_type: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        let at = self.config.root.module.decl_range_hint();
        for (a, provider) in creates {
            let mut scratch = Diagnostics::new();
            let Some((pi, _)) = self.provider_for(
                Site::Orphan(&a.module),
                &provider,
                a.mode,
                &a.type_,
                &at,
                &mut scratch,
            ) else {
                continue;
            };
            if pi.leaves_objects(&a.type_) && !pi.adopts_by_token(&a.type_) {
                by_type
                    .entry(a.type_.clone())
                    .or_default()
                    .push(a.to_string());
            }
        }
        for (type_, addrs) in by_type {
            let shown: Vec<&str> = addrs.iter().take(5).map(String::as_str).collect();
            let more = match addrs.len() > shown.len() {
                true => format!(" and {} more", addrs.len() - shown.len()),
                false => String::new(),
            };
            diags.push(
                Diagnostic::warning(format!(
                    "Objects of type {type_} cannot be found again after a crash"
                ))
                .detail(format!(
                    "The provider cannot look up a {type_} by the idempotency token of the create that made it. If sakk is killed, or loses the response, between the create call and the state write, the object may be left behind outside the state where sakk cannot find it, and the next apply creates another. Planned: {}{more}.",
                    shown.join(", ")
                ))
                .hint("let the apply run to the end; after a crash, look for such objects and import them (`sakk import ADDR ID`) or delete them"),
            );
        }
    }

    /// The state's deposed objects: each is read (one gone outside sakk leaves the state) and
    /// destroyed, in any mode but refresh-only.
    fn plan_deposed(&mut self, diags: &mut Diagnostics) {
        let Some(ro) = self.resources.as_ref() else {
            return;
        };
        for ((a, key), p) in ro.deposed.iter() {
            if !(ro.targets.is_empty() || ro.targets.iter().any(|t| t.covers(a))) {
                continue;
            }
            let at = self.config.root.module.decl_range_hint();
            let Some((pi, rt)) = self.provider_for(
                Site::Orphan(&a.module),
                &p.provider,
                a.mode,
                &a.type_,
                &at,
                diags,
            ) else {
                continue;
            };
            let current = if ro.refresh {
                let ctx = noop_ctx(format!("{a} (deposed object {key})"));
                match block_on(&ro.runtime, pi.read(&a.type_, &p.value, &ctx)) {
                    Ok(v) => v,
                    Err(e) => {
                        let e = e.redact(&secrets_of(&[&p.value]));
                        diags.push(
                            Diagnostic::error(format!(
                                "Error refreshing {a} (deposed object {key}): {}",
                                e.summary
                            ))
                            .detail(e.detail),
                        );
                        continue;
                    }
                }
            } else {
                Some(p.value.clone())
            };
            let Some(current) = current else {
                self.res_state.borrow_mut().drift.push(Drift {
                    addr: a.clone(),
                    before: p.value.clone(),
                    after: None,
                    deposed: Some(key.clone()),
                });
                continue;
            };
            if ro.mode == PlanMode::RefreshOnly {
                continue;
            }
            self.push_change(ResourceChange {
                addr: a.clone(),
                provider: p.provider.clone(),
                action: Action::Delete,
                before: Some(remark(current, &rt.schema, &[&p.value])),
                after: None,
                reason: None,
                dependencies: p.dependencies.clone(),
                deposed: Some(key.clone()),
                token: None,
            });
        }
    }
}

/// Runs provider I/O to completion from the synchronous walk: on the runtime when called from
/// outside it (planning), on this thread when already inside it (the apply executor), where the
/// runtime's worker threads keep driving the I/O.
pub(super) fn block_on<F: std::future::Future>(rt: &tokio::runtime::Handle, f: F) -> F::Output {
    if tokio::runtime::Handle::try_current().is_ok() {
        futures::executor::block_on(f)
    } else {
        rt.block_on(f)
    }
}

impl<'c> Walk<'c> {
    /// The ID to import `addr` from: `sakk import ADDR ID`, or an `import` block of the root
    /// module (its range, for errors).
    fn import_for(
        &self,
        addr: &ResourceInstance,
        diags: &mut Diagnostics,
    ) -> Option<(String, Option<crate::diag::Range>)> {
        let ro = self.resources.as_ref()?;
        if let Some((_, id)) = ro.imports.iter().find(|(a, _)| a == addr) {
            return Some((id.clone(), None));
        }
        for ib in &self.config.root.module.imports {
            let Ok(Target::Resource(to)) = ib.to.parse::<Target>() else {
                continue;
            };
            if &to != addr {
                continue;
            }
            let v = match self.eval_value(0, 0, InstanceRep::None, &ib.id) {
                Ok(v) => v,
                Err(d) => {
                    diags.extend(d);
                    return None;
                }
            };
            return match v.as_str() {
                Some(s) if v.is_known() => Some((s.to_string(), Some(ib.to_range.clone()))),
                _ => {
                    diags.push(
                        Diagnostic::error("Invalid import id")
                            .at(&ib.id.range)
                            .detail(format!(
                                "The id of the import into {addr} must be a known string."
                            ))
                            .hint("write the ID as a string, like id = \"i-0123\""),
                    );
                    None
                }
            };
        }
        None
    }
}
