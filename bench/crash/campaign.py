"""The crash campaign of issue 13: kill -9 sakk at random points (mid-create, mid-delete,
mid-replacement), with and without a fault proxy, and per type at a deterministic point (one
create reached moto, its answer withheld, sakk killed; or its answer dropped), then re-apply and
check with boto3 that AWS and the state agree. See README.md; `bench/crash/run --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import awscheck  # noqa: E402

STATE_BUCKET = "crash-state"
STATE_KEY = "crash/terraform.tfstate"
LOCK_TABLE = "crash-locks"
CMD_TIMEOUT = 300  # seconds for one sakk command before it counts as hung (and is killed)

# The create call of each type (service:Action as faultproxy names them) for the hold trials.
CREATE_ACTION = {
    "aws_vpc": "ec2:CreateVpc",
    "aws_subnet": "ec2:CreateSubnet",
    "aws_internet_gateway": "ec2:CreateInternetGateway",
    "aws_eip": "ec2:AllocateAddress",
    "aws_nat_gateway": "ec2:CreateNatGateway",
    "aws_route_table": "ec2:CreateRouteTable",
    "aws_route": "ec2:CreateRoute",
    "aws_route_table_association": "ec2:AssociateRouteTable",
    "aws_security_group": "ec2:CreateSecurityGroup",
    "aws_s3_bucket": "s3:CreateBucket",
    "aws_s3_bucket_versioning": "s3:PutBucketVersioning",
    "aws_s3_bucket_server_side_encryption_configuration": "s3:PutBucketEncryption",
    "aws_s3_bucket_public_access_block": "s3:PutPublicAccessBlock",
    "aws_dynamodb_table": "dynamodb:CreateTable",
    "aws_iam_role": "iam:CreateRole",
    "aws_iam_policy": "iam:CreatePolicy",
    "aws_iam_role_policy_attachment": "iam:AttachRolePolicy",
    "aws_iam_openid_connect_provider": "iam:CreateOpenIDConnectProvider",
    "aws_route53_zone": "route53:CreateHostedZone",
    "aws_route53_record": "route53:ChangeResourceRecordSets",
    "aws_cognito_user_pool": "cognito-idp:CreateUserPool",
    "aws_cognito_user_pool_client": "cognito-idp:CreateUserPoolClient",
    "aws_cognito_user_group": "cognito-idp:CreateGroup",
    "aws_cognito_user": "cognito-idp:AdminCreateUser",
    "aws_cognito_user_in_group": "cognito-idp:AdminAddUserToGroup",
    "aws_cognito_user_pool_domain": "cognito-idp:CreateUserPoolDomain",
    "aws_eks_cluster": "eks:CreateCluster",
    "aws_eks_node_group": "eks:CreateNodegroup",
}
assert set(CREATE_ACTION) == set(awscheck.TYPES)

SHORT_HOLD_TYPES = ["aws_vpc", "aws_iam_role", "aws_route53_zone", "aws_cognito_user_pool"]
SHORT_DROP_TYPES = ["aws_cognito_user_group", "aws_subnet"]

PLAN_LINE = re.compile(r"^\s*# ((?:module\.\S+?\.)?(aws_[a-z0-9_]+)\.\S+?)(?: \(deposed object \w+\))? (will be (?!read)|must be|is tainted)")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Running things


@dataclass
class Run:
    args: list
    code: int | None  # None: killed by us
    secs: float
    out: str
    err: str

    def errors(self) -> list[str]:
        lines = []
        for ln in (self.out + "\n" + self.err).splitlines():
            s = ln.strip().lstrip("│").strip()
            if s.startswith("Error:") or s.startswith("error:"):
                lines.append(s[:240])
        return lines


class Env:
    def __init__(self, sakk: str, moto: str, proxy: str, proxy_ctl: str, work: str):
        self.sakk, self.moto, self.proxy, self.proxy_ctl, self.work = sakk, moto, proxy, proxy_ctl, work
        self.c = awscheck.clients(moto)
        self.endpoint = moto
        self.replace = False

    # -- moto and the proxy --
    def reset_moto(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.moto + "/moto-api/reset", data=b"", method="POST"), timeout=60).read()
        self.c["s3"].create_bucket(Bucket=STATE_BUCKET)
        self.c["ddb"].create_table(
            TableName=LOCK_TABLE,
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def proxy_config(self, **cfg) -> None:
        req = urllib.request.Request(self.proxy_ctl + "/__faultproxy/config", data=json.dumps(cfg).encode(), method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def proxy_release(self) -> None:
        req = urllib.request.Request(self.proxy_ctl + "/__faultproxy/release", data=b"", method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def proxy_stats(self) -> dict:
        return json.loads(urllib.request.urlopen(self.proxy_ctl + "/__faultproxy/stats", timeout=10).read())

    # -- sakk --
    def set_vars(self, endpoint: str, replace: bool) -> None:
        self.endpoint, self.replace = endpoint, replace
        with open(os.path.join(self.work, "crash.tfvars.json"), "w") as f:
            json.dump({"endpoint": endpoint, "replace": replace}, f)

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            NO_COLOR="1",
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
            # anything the provider does not route through its endpoints block goes the same way
            AWS_ENDPOINT_URL=self.endpoint,
        )
        return env

    def start(self, args: list) -> subprocess.Popen:
        return subprocess.Popen(
            [self.sakk, *args],
            cwd=self.work,
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def finish(self, p: subprocess.Popen, args: list, t0: float, timeout: float = CMD_TIMEOUT) -> Run:
        try:
            out, err = p.communicate(timeout=timeout)
            return Run(args, p.returncode, time.time() - t0, out, err)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            return Run(args, None, time.time() - t0, out, err + f"\n(crash campaign: no exit after {timeout}s; killed)")

    def run(self, *args: str) -> Run:
        t0 = time.time()
        return self.finish(self.start(list(args)), list(args), t0)

    def kill_after(self, args: list, delay: float) -> tuple[Run, bool]:
        """Starts sakk, SIGKILLs it after `delay` s; (run, whether it was still running)."""
        t0 = time.time()
        p = self.start(args)
        try:
            p.wait(timeout=delay)
            out, err = p.communicate()
            return Run(args, p.returncode, time.time() - t0, out, err), False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            return Run(args, None, time.time() - t0, out, err), True

    def vf(self) -> list:
        return ["--var-file", "crash.tfvars.json"]

    def apply(self) -> Run:
        return self.run("apply", "--auto-approve", *self.vf())

    def destroy(self) -> Run:
        return self.run("destroy", "--auto-approve", *self.vf())

    def unlock_if_locked(self) -> str | None:
        """A lock left by a killed sakk: released with `sakk force-unlock --force ID` (its ID)."""
        item = self.c["ddb"].get_item(TableName=LOCK_TABLE, Key={"LockID": {"S": f"{STATE_BUCKET}/{STATE_KEY}"}}, ConsistentRead=True).get("Item")
        if not item:
            return None
        info = json.loads(item.get("Info", {}).get("S", "{}") or "{}")
        lid = info.get("ID", "")
        r = self.run("force-unlock", "--force", lid)
        if r.code != 0:
            raise RuntimeError(f"force-unlock {lid} failed: {r.out}{r.err}")
        return lid

    def converge(self, destroy: bool = False, tries: int = 3) -> list[Run]:
        runs = []
        for _ in range(tries):
            self.unlock_if_locked()
            r = self.destroy() if destroy else self.apply()
            runs.append(r)
            if r.code == 0:
                break
        return runs

    def state(self) -> dict | None:
        return awscheck.read_state(self.c["s3"], STATE_BUCKET, STATE_KEY)

    def inventory(self) -> dict:
        return awscheck.inventory(self.c, exclude_buckets=(STATE_BUCKET,), exclude_tables=(LOCK_TABLE,))


# ---------------------------------------------------------------------------------------------
# One trial


@dataclass
class Trial:
    name: str
    mode: str  # plain | proxy | hold | drop
    kind: str  # create | destroy | replace | faults | baseline
    target: str = ""  # hold/drop: the type
    action: str = ""
    kill_at: float | None = None
    killed: bool = False
    reached: bool = True  # hold/drop: the action was met
    lock_left: bool = False
    recover_codes: list = field(default_factory=list)
    converged: bool = False
    replan_code: int | None = None
    replan_types: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)  # type -> {twins, orphans, ghosts, intents, deposed}
    details: list = field(default_factory=list)
    destroy_codes: list = field(default_factory=list)
    left_after_destroy: dict = field(default_factory=dict)  # type -> count
    state_left_after_destroy: int = 0
    errors: list = field(default_factory=list)
    faults: dict = field(default_factory=dict)
    secs: float = 0.0

    def totals(self) -> dict:
        t = {k: sum(f.get(k, 0) for f in self.figures.values()) for k in ("twins", "orphans", "ghosts", "intents", "deposed")}
        t["left"] = sum(self.left_after_destroy.values())
        return t

    def clean(self) -> bool:
        t = self.totals()
        return self.reached and self.converged and self.replan_code == 0 and not any(t.values()) and self.state_left_after_destroy == 0


def check(env: Env, t: Trial, replan: bool = True) -> None:
    """Twins, orphans, ghosts (boto3 against the state document) and the re-plan."""
    figs = awscheck.compare(env.inventory(), awscheck.state_entries(env.state()))
    t.figures = {ty: {k: getattr(f, k) for k in ("twins", "orphans", "ghosts", "intents", "deposed", "objects", "entries")} for ty, f in figs.items()}
    for ty, f in figs.items():
        t.details += [f"{ty}: {d}" for d in f.details]
    if replan:
        env.unlock_if_locked()
        r = env.run("plan", "--detailed-exitcode", *env.vf())
        t.replan_code = r.code
        t.replan_types = sorted({m.group(2) for ln in r.out.splitlines() if (m := PLAN_LINE.match(ln))})
        if r.code not in (0, 2):
            t.errors += [f"plan: {e}" for e in r.errors()] or [f"plan: exit {r.code}: {(r.out + r.err)[-300:]}"]
        elif r.code == 2:
            t.details += [f"re-plan: {ln.strip()}" for ln in r.out.splitlines() if PLAN_LINE.match(ln)][:20]


def destroy_and_check_empty(env: Env, t: Trial) -> None:
    runs = env.converge(destroy=True)
    t.destroy_codes = [r.code for r in runs]
    for r in runs:
        t.errors += [f"destroy: {e}" for e in r.errors()]
    inv = env.inventory()
    t.left_after_destroy = {ty: len(objs) for ty, objs in inv.items() if objs}
    for ty, objs in inv.items():
        t.details += [f"{ty}: left after destroy: {o.desc}" for o in objs]
    st = env.state()
    left = awscheck.state_entries(st)
    t.state_left_after_destroy = len(left)
    t.details += [f"state after destroy still has {e.addr}" for e in left]


def recover(env: Env, t: Trial, destroy: bool = False) -> None:
    t.lock_left = env.unlock_if_locked() is not None
    runs = env.converge(destroy=destroy)
    t.recover_codes = [r.code for r in runs]
    t.converged = bool(runs) and runs[-1].code == 0
    for r in runs:
        t.errors += [f"{r.args[0]}: {e}" for e in r.errors()]


def prepare(env: Env, t: Trial, endpoint: str, replace: bool = False) -> bool:
    """Fresh moto; for destroy/replace trials a clean apply first (not part of the figures unless it fails)."""
    env.reset_moto()
    env.set_vars(endpoint, False)
    if t.kind in ("destroy", "replace"):
        runs = env.converge()
        if runs[-1].code != 0:
            t.errors += [f"setup apply: {e}" for r in runs for e in r.errors()]
            t.errors.append("setup apply did not converge; the kill was made anyway")
    env.set_vars(endpoint, replace)
    return True


def random_trial(env: Env, t: Trial, endpoint: str, window: float, rng: random.Random) -> None:
    prepare(env, t, endpoint, replace=t.kind == "replace")
    cmd = ["destroy" if t.kind == "destroy" else "apply", "--auto-approve", *env.vf()]
    if t.kind == "faults":
        r = env.run(*cmd)
        t.errors += [f"apply: {e}" for e in r.errors()]
        t.recover_codes.append(r.code)
    else:
        t.kill_at = round(rng.uniform(0.05, 1.0) * window, 2)
        r, t.killed = env.kill_after(cmd, t.kill_at)
        if not t.killed:
            t.errors.append(f"{cmd[0]} ended (exit {r.code}) before the kill at {t.kill_at}s")
            t.errors += [f"{cmd[0]}: {e}" for e in r.errors()]
    if t.kind == "destroy":
        recover(env, t, destroy=True)
        check(env, t, replan=False)
        # after a finished destroy there is nothing left to destroy: a destroy plan is empty
        env.unlock_if_locked()
        r = env.run("plan", "--destroy", "--detailed-exitcode", *env.vf())
        t.replan_code = r.code
        t.replan_types = sorted({m.group(2) for ln in r.out.splitlines() if (m := PLAN_LINE.match(ln))})
        if r.code == 1:
            t.errors += [f"plan --destroy: {e}" for e in r.errors()]
        t.left_after_destroy = {ty: f["objects"] for ty, f in t.figures.items() if f["objects"]}
        t.state_left_after_destroy = sum(f["entries"] for f in t.figures.values())
        return
    if t.kind == "faults":
        if t.recover_codes[-1] != 0:
            runs = env.converge(tries=3)
            t.recover_codes += [r.code for r in runs]
            for r in runs:
                t.errors += [f"apply: {e}" for e in r.errors()]
        t.converged = t.recover_codes[-1] == 0
    else:
        recover(env, t)
    check(env, t)
    destroy_and_check_empty(env, t)


def hold_trial(env: Env, t: Trial) -> None:
    """One create reaches moto and is never answered; sakk is killed; re-apply."""
    env.reset_moto()
    env.set_vars(env.proxy, False)
    env.proxy_config(rate=0, hold=t.action)
    t0 = time.time()
    p = env.start(["apply", "--auto-approve", *env.vf()])
    held = False
    while time.time() - t0 < CMD_TIMEOUT:
        if env.proxy_stats()["held"]:
            held = True
            break
        if p.poll() is not None:
            break
        time.sleep(0.05)
    if held:
        time.sleep(0.3)  # let the other in-flight calls land, as they would
        t.kill_at = round(time.time() - t0, 2)
    os.killpg(p.pid, signal.SIGKILL)
    out, err = p.communicate()
    t.killed = held
    t.reached = held
    if not held:
        t.errors.append(f"{t.action} was never called (apply exit {p.returncode}): the hold trial measured nothing")
        t.errors += [f"apply: {e}" for e in Run([], p.returncode, 0, out, err).errors()]
    env.proxy_config(rate=0)  # releases the held request and makes the proxy transparent
    recover(env, t)
    check(env, t)
    destroy_and_check_empty(env, t)


def drop_trial(env: Env, t: Trial) -> None:
    """One create's response is lost after moto acted (the SDK retries); no kill."""
    env.reset_moto()
    env.set_vars(env.proxy, False)
    env.proxy_config(rate=0, drop_once=t.action)
    r = env.apply()
    t.errors += [f"apply: {e}" for e in r.errors()]
    st = env.proxy_stats()
    t.reached = bool(st["dropped_once"])
    if not t.reached:
        t.errors.append(f"{t.action} was never called: the drop trial measured nothing")
    t.recover_codes.append(r.code)
    env.proxy_config(rate=0)
    if r.code != 0:
        runs = env.converge()
        t.recover_codes += [x.code for x in runs]
        for x in runs:
            t.errors += [f"apply: {e}" for e in x.errors()]
    t.converged = t.recover_codes[-1] == 0
    check(env, t)
    destroy_and_check_empty(env, t)


def baseline(env: Env, endpoint: str, name: str) -> tuple[Trial, Trial, dict]:
    """Uninterrupted: apply, check; replace apply, check; destroy. Also the kill windows."""
    t = Trial(name, "plain" if endpoint == env.moto else "proxy", "baseline")
    env.reset_moto()
    env.set_vars(endpoint, False)
    r = env.apply()
    win = {"create": r.secs}
    t.recover_codes.append(r.code)
    t.errors += [f"apply: {e}" for e in r.errors()]
    t.converged = r.code == 0
    check(env, t)
    tr = Trial(name + "-replace", t.mode, "baseline")
    env.set_vars(endpoint, True)
    r = env.apply()
    win["replace"] = r.secs
    tr.recover_codes.append(r.code)
    tr.errors += [f"apply: {e}" for e in r.errors()]
    tr.converged = r.code == 0
    check(env, tr)
    env.unlock_if_locked()
    r = env.destroy()
    win["destroy"] = r.secs
    tr.destroy_codes = [r.code]
    tr.errors += [f"destroy: {e}" for e in r.errors()]
    inv = env.inventory()
    tr.left_after_destroy = {ty: len(o) for ty, o in inv.items() if o}
    tr.state_left_after_destroy = len(awscheck.state_entries(env.state()))
    # the windows for random kills: the whole uninterrupted operation (at least 2 s)
    win = {k: max(v, 2.0) for k, v in win.items()}
    return t, tr, win


# ---------------------------------------------------------------------------------------------
# Tables


def per_type(trials: list[Trial]) -> dict:
    out = {}
    for ty in awscheck.TYPES:
        row = {"trials": 0, "twins": 0, "orphans": 0, "ghosts": 0, "intents": 0, "deposed": 0, "replans_clean": 0, "replans": 0, "left_after_destroy": 0, "trials_bad": 0}
        for t in trials:
            f = t.figures.get(ty)
            if f is None:
                continue
            row["trials"] += 1
            for k in ("twins", "orphans", "ghosts", "intents", "deposed"):
                row[k] += f.get(k, 0)
            if t.replan_code is not None:
                row["replans"] += 1
                if t.replan_code in (0, 2) and ty not in t.replan_types:
                    row["replans_clean"] += 1
            row["left_after_destroy"] += t.left_after_destroy.get(ty, 0)
            if any(f.get(k, 0) for k in ("twins", "orphans", "ghosts", "intents", "deposed")) or t.left_after_destroy.get(ty, 0):
                row["trials_bad"] += 1
        out[ty] = row
    return out


def md_trials(trials: list[Trial]) -> str:
    lines = [
        "| trial | kind | kill at (s) | re-apply exits | twins | orphans | ghosts | intents left | re-plan | left after destroy | first error |",
        "|---|---|---:|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for t in trials:
        tot = t.totals()
        kill = "-" if t.kill_at is None else (f"{t.kill_at}" + ("" if t.killed else " (ended first)"))
        if not t.reached:
            kill = "not reached"
        rp = {None: "-", 0: "clean", 2: "changes: " + ",".join(x.replace("aws_", "") for x in t.replan_types)[:60]}.get(t.replan_code, f"error {t.replan_code}")
        err = (t.errors[0] if t.errors else "").replace("|", "/")[:110]
        lines.append(
            f"| {t.name} | {t.kind}{' ' + t.target if t.target else ''} | {kill} | {','.join('killed' if c is None else str(c) for c in t.recover_codes) or '-'} | {tot['twins']} | {tot['orphans']} | {tot['ghosts']} | {tot['intents']} | {rp} | {tot['left'] + t.state_left_after_destroy} | {err} |"
        )
    return "\n".join(lines)


def md_types(rows: dict, title: str) -> str:
    lines = [f"**{title}**", "", "| type | trials | twins | orphans | ghosts | intents left | re-plans clean | left after destroy |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for ty, r in rows.items():
        if r["trials"] == 0:
            continue
        lines.append(f"| {ty} | {r['trials']} | {r['twins']} | {r['orphans']} | {r['ghosts']} | {r['intents']} | {r['replans_clean']}/{r['replans']} | {r['left_after_destroy']} |")
    return "\n".join(lines)


def md_holds(trials: list[Trial], title: str) -> str:
    lines = [
        f"**{title}**",
        "",
        "| type | action | re-apply exits | twins | orphans | ghosts | intents left | re-plan clean | left after destroy | first error |",
        "|---|---|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for t in trials:
        tot = t.totals()
        codes = ",".join("killed" if c is None else str(c) for c in t.recover_codes) if t.reached else "not reached"
        err = (t.errors[0] if t.errors else "").replace("|", "/")[:110]
        lines.append(
            f"| {t.target} | {t.action} | {codes} | {tot['twins']} | {tot['orphans']} | {tot['ghosts']} | {tot['intents']} | {'yes' if t.replan_code == 0 else 'no'} | {tot['left'] + t.state_left_after_destroy} | {err} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def start_moto(name: str) -> tuple[str, callable]:
    env = dict(os.environ, SAKK_MOTO_NAME=name)
    out = subprocess.run([os.path.join(ROOT, "scripts/moto"), "start"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"moto did not start: {out.stderr}")
    m = re.search(r"AWS_ENDPOINT_URL=(\S+)", out.stdout)
    if not m:
        raise SystemExit(f"scripts/moto printed no endpoint: {out.stdout}")

    def stop():
        subprocess.run([os.path.join(ROOT, "scripts/moto"), "stop"], env=env, capture_output=True)

    return m.group(1), stop


def start_proxy(moto: str, work: str) -> tuple[str, subprocess.Popen]:
    pf = os.path.join(work, "proxy.port")
    p = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "faultproxy.py"), "--upstream", moto, "--port-file", pf, "--log", os.path.join(work, "proxy.log")],
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(work, "proxy.err"), "w"),
    )
    for _ in range(100):
        if os.path.exists(pf):
            return f"http://127.0.0.1:{open(pf).read().strip()}", p
        if p.poll() is not None:
            break
        time.sleep(0.1)
    p.kill()
    raise SystemExit("the fault proxy did not start: " + open(os.path.join(work, "proxy.err")).read())


def find_sakk(opt: str | None) -> str:
    for c in [opt, os.environ.get("SAKK_BIN"), os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release/sakk"), os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug/sakk")]:
        if c and os.access(c, os.X_OK):
            return c
    raise SystemExit("no sakk binary: build one (cargo build) or pass --sakk PATH / SAKK_BIN")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench/crash/run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20, help="random kill trials without the proxy (and as many under it); default 20")
    ap.add_argument("--proxy-trials", type=int, help="random trials under the fault proxy (default: --trials)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fault-rate", type=float, default=0.2)
    ap.add_argument("--short", action="store_true", help="a handful of trials (CI): 3 plain, 2 under the proxy, 4 hold, 2 drop")
    ap.add_argument("--only", default="baseline,plain,proxy,hold,drop", help="comma-separated subset of baseline,plain,proxy,hold,drop")
    ap.add_argument("--types", help="hold/drop trials for these types only (comma-separated)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON on stdout (the tables go to stderr)")
    ap.add_argument("--sakk", help="the sakk binary (default: $SAKK_BIN, target/release/sakk, target/debug/sakk)")
    ap.add_argument("--moto", help="use this moto (it is reset per trial!) instead of starting one")
    ap.add_argument("--keep", action="store_true", help="keep the working directory")
    ap.add_argument("--report-only", action="store_true", help="exit 0 even when a figure is not zero")
    a = ap.parse_args(argv)
    only = set(a.only.split(","))
    sakk = find_sakk(a.sakk)
    rng = random.Random(a.seed)
    n_plain = 3 if a.short else a.trials
    n_proxy = 2 if a.short else (a.proxy_trials if a.proxy_trials is not None else a.trials)
    hold_types = a.types.split(",") if a.types else (SHORT_HOLD_TYPES if a.short else list(awscheck.TYPES))
    drop_types = a.types.split(",") if a.types else (SHORT_DROP_TYPES if a.short else list(awscheck.TYPES))
    for ty in hold_types + drop_types:
        if ty not in CREATE_ACTION:
            raise SystemExit(f"unknown type {ty}; known: {', '.join(CREATE_ACTION)}")

    work = tempfile.mkdtemp(prefix="sakk-crash.")
    stop_moto = lambda: None  # noqa: E731
    proxy_p = None
    t_start = time.time()
    results: dict = {"seed": a.seed, "fault_rate": a.fault_rate, "sakk": sakk, "unsupported": awscheck.UNSUPPORTED, "trials": []}
    try:
        moto = a.moto
        if not moto:
            moto, stop_moto = start_moto(f"crash-moto-{os.getpid()}")
        log(f"==> moto {moto}; work dir {work}")
        proxy, proxy_p = start_proxy(moto, work)
        log(f"==> fault proxy {proxy}")
        shutil.copy(os.path.join(HERE, "config", "main.tf"), work)
        with open(os.path.join(work, "backend.hcl"), "w") as f:
            f.write(
                f'bucket = "{STATE_BUCKET}"\nkey = "{STATE_KEY}"\nregion = "us-east-1"\ndynamodb_table = "{LOCK_TABLE}"\n'
                f'endpoints = {{ s3 = "{moto}", dynamodb = "{moto}" }}\n'
            )
        env = Env(sakk, moto, proxy, proxy, work)
        env.reset_moto()
        env.set_vars(moto, False)
        r = env.run("init", "--backend-config=backend.hcl")
        if r.code != 0:
            raise SystemExit(f"sakk init failed:\n{r.out}{r.err}")
        trials: list[Trial] = []

        def done(t: Trial, t0: float):
            t.secs = round(time.time() - t0, 1)
            trials.append(t)
            tot = t.totals()
            log(
                f"    {t.name}: {t.kind} {t.target} kill={t.kill_at} exits={t.recover_codes} twins={tot['twins']} orphans={tot['orphans']} "
                f"ghosts={tot['ghosts']} intents={tot['intents']} replan={t.replan_code} left={tot['left']}+{t.state_left_after_destroy} ({t.secs}s)"
                + (f" | {t.errors[0][:140]}" if t.errors else "")
            )

        windows = {}
        for mode, ep in (("plain", moto), ("proxy", proxy)):
            if mode not in only and not ("baseline" in only and mode == "plain"):
                continue
            if mode == "proxy":
                env.proxy_config(rate=a.fault_rate, seed=f"{a.seed}-baseline")
            log(f"==> baseline ({mode}): uninterrupted apply, replace apply, destroy")
            t0 = time.time()
            b1, b2, windows[mode] = baseline(env, ep, f"baseline-{mode}")
            done(b1, t0)
            done(b2, t0)
            if mode == "proxy":
                b1.faults = b2.faults = env.proxy_stats()["faults"]
        for mode, ep, n, kinds in (("plain", moto, n_plain, ["create", "destroy", "replace"]), ("proxy", proxy, n_proxy, ["create", "faults", "destroy", "replace"])):
            if mode not in only or n == 0:
                continue
            log(f"==> {n} random kill trials ({mode}{f', {a.fault_rate:.0%} faults' if mode == 'proxy' else ''})")
            for i in range(n):
                kind = kinds[i % len(kinds)]
                t = Trial(f"{mode}-{i + 1}", mode, kind)
                if mode == "proxy":
                    env.proxy_config(rate=a.fault_rate, seed=f"{a.seed}-{i}")
                t0 = time.time()
                random_trial(env, t, ep, windows[mode][kind if kind in windows[mode] else "create"], rng)
                if mode == "proxy":
                    t.faults = env.proxy_stats()["faults"]
                    env.proxy_config(rate=0)
                done(t, t0)
        if "hold" in only:
            log(f"==> hold trials: one create reaches moto, no answer, kill -9, re-apply ({len(hold_types)} types)")
            for ty in hold_types:
                t = Trial(f"hold-{ty}", "hold", "create", target=ty, action=CREATE_ACTION[ty])
                t0 = time.time()
                hold_trial(env, t)
                done(t, t0)
        if "drop" in only:
            log(f"==> drop trials: one create's answer lost after moto acted ({len(drop_types)} types)")
            for ty in drop_types:
                t = Trial(f"drop-{ty}", "drop", "create", target=ty, action=CREATE_ACTION[ty])
                t0 = time.time()
                drop_trial(env, t)
                done(t, t0)

        results["windows"] = windows
        results["trials"] = [asdict(t) for t in trials]
        results["per_type"] = {m: per_type([t for t in trials if t.mode == m and t.kind != "baseline"]) for m in ("plain", "proxy", "hold", "drop")}
        results["seconds"] = round(time.time() - t_start, 1)
        clean = [t.clean() for t in trials]
        results["clean_trials"] = sum(clean)
        results["all_clean"] = all(clean)

        out = [f"# sakk crash campaign (seed {a.seed}, {results['seconds']} s, sakk {sakk})", ""]
        for m, title in (("baseline", "Uninterrupted (baseline)"), ("plain", "Random kills, no faults"), ("proxy", f"Random kills under the fault proxy ({a.fault_rate:.0%})")):
            ts = [t for t in trials if (t.kind == "baseline") == (m == "baseline") and (m == "baseline" or t.mode == m)]
            if ts:
                out += [f"## {title}", "", md_trials(ts), ""]
                if m != "baseline":
                    out += [md_types(results["per_type"][m], f"Per type ({title.lower()})"), ""]
        for m, title in (("hold", "Per type: one create reached moto, answer withheld, kill -9, re-apply"), ("drop", "Per type: one create's answer dropped after moto acted (SDK retry), re-apply")):
            ts = [t for t in trials if t.mode == m]
            if ts:
                out += [f"## {title}", "", md_holds(ts, ""), ""]
        errs: dict[str, int] = {}
        for t in trials:
            for e in t.errors:
                k = re.sub(r"\b(vpc|subnet|igw|rtb|sg|nat|eipalloc|rtbassoc)-[0-9a-f]+|\b[A-Z0-9]{12,}|us-east-1_[A-Za-z0-9]+|[0-9a-f]{8}-[0-9a-f-]{27}", "…", e)
                errs[k] = errs.get(k, 0) + 1
        if errs:
            out += ["## Errors seen (count)", ""] + [f"- {n}× {e}" for e, n in sorted(errs.items(), key=lambda x: -x[1])[:40]] + [""]
        out.append(f"{results['clean_trials']} of {len(trials)} trials clean (converged, 0 twins/orphans/ghosts/intents, clean re-plan, destroy left nothing).")
        text = "\n".join(out)
        if a.json:
            print(text, file=sys.stderr)
            print(json.dumps(results, indent=1))
        else:
            print(text)
        with open(os.path.join(work, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        log(f"==> results: {os.path.join(work, 'results.json')}")
        return 0 if (results["all_clean"] or a.report_only) else 1
    finally:
        if proxy_p:
            proxy_p.terminate()
            try:
                proxy_p.wait(5)
            except subprocess.TimeoutExpired:
                proxy_p.kill()
        stop_moto()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"==> kept {work}")


if __name__ == "__main__":
    sys.exit(main())
