//! IP network functions: cidrhost, cidrnetmask, cidrsubnet, cidrsubnets (Terraform's
//! lang/funcs/cidr.go with go-cidr, and Go 1.16's `net.ParseCIDR`, which accepts leading
//! zeros in IPv4 octets).

use super::{num_arg, str_arg, to_whole_int, FuncError, Function, Param, Registry};
use crate::lang::types::Type;
use crate::lang::value::Value;

/// Registers this group's functions.
pub fn register(r: &mut Registry) {
    let prefix = || Param::new("prefix", Type::String);
    let n = |name| Param::new(name, Type::Number);
    r.register(
        "cidrhost",
        Function::simple(vec![prefix(), n("hostnum")], Type::String, cidrhost),
    );
    r.register(
        "cidrnetmask",
        Function::simple(vec![prefix()], Type::String, cidrnetmask),
    );
    r.register(
        "cidrsubnet",
        Function::simple(
            vec![prefix(), n("newbits"), n("netnum")],
            Type::String,
            cidrsubnet,
        ),
    );
    r.register(
        "cidrsubnets",
        Function::simple(vec![prefix()], Type::list(Type::String), cidrsubnets)
            .variadic(n("newbits")),
    );
}

/// An address: its value and width (32 or 128 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ip {
    v: u128,
    bits: u32,
}

/// A network as `net.ParseCIDR` returns it: the masked address and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    ip: Ip,
    len: u32,
}

/// The mask of a `len`-bit prefix of a `bits`-bit address.
fn mask(len: u32, bits: u32) -> u128 {
    let all = mask_all(bits);
    // Shifting a u128 by 128 (a /128 prefix) is out of range: no host bits are left.
    all & !all.checked_shr(len).unwrap_or(0)
}

/// Go's `dtoi`: decimal digits (at least one) up to the big limit.
fn dtoi(s: &str) -> Option<(u32, usize)> {
    let mut n: u32 = 0;
    let mut i = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        n = n * 10 + u32::from(b - b'0');
        if n >= 0xFF_FFFF {
            return None;
        }
        i += 1;
    }
    (i > 0).then_some((n, i))
}

fn parse_ipv4(s: &str) -> Option<u32> {
    let mut out: u32 = 0;
    let mut rest = s;
    for i in 0..4 {
        if i > 0 {
            rest = rest.strip_prefix('.')?;
        }
        let (n, c) = dtoi(rest)?;
        if n > 0xFF {
            return None;
        }
        rest = &rest[c..];
        out = (out << 8) | n;
    }
    rest.is_empty().then_some(out)
}

fn parse_ipv6(s: &str) -> Option<u128> {
    let mut groups: Vec<u16> = Vec::new();
    let mut ellipsis: Option<usize> = None;
    let mut rest = s;
    if let Some(r) = rest.strip_prefix("::") {
        ellipsis = Some(0);
        rest = r;
        if rest.is_empty() {
            return Some(0);
        }
    }
    let mut v4_tail: Option<u32> = None;
    while !rest.is_empty() {
        let hex_len = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex_len == 0 || hex_len > 4 {
            return None;
        }
        // Embedded IPv4 at the end.
        if rest[hex_len..].starts_with('.') {
            if ellipsis.is_none() && groups.len() != 6 {
                return None;
            }
            if groups.len() + 2 > 8 {
                return None;
            }
            v4_tail = Some(parse_ipv4(rest)?);
            break;
        }
        let g = u16::from_str_radix(&rest[..hex_len], 16).ok()?;
        groups.push(g);
        rest = &rest[hex_len..];
        if rest.is_empty() {
            break;
        }
        rest = rest.strip_prefix(':')?;
        if let Some(r) = rest.strip_prefix(':') {
            if ellipsis.is_some() {
                return None;
            }
            ellipsis = Some(groups.len());
            rest = r;
            if rest.is_empty() {
                break;
            }
        } else if rest.is_empty() {
            return None;
        }
        if groups.len() >= 8 {
            return None;
        }
    }
    if let Some(v4) = v4_tail {
        groups.push((v4 >> 16) as u16);
        groups.push(v4 as u16);
    }
    if groups.len() > 8 {
        return None;
    }
    let full: Vec<u16> = match ellipsis {
        Some(at) => {
            if groups.len() >= 8 {
                return None;
            }
            let mut f = groups[..at].to_vec();
            f.extend(std::iter::repeat_n(0, 8 - groups.len()));
            f.extend_from_slice(&groups[at..]);
            f
        }
        None => {
            if groups.len() != 8 {
                return None;
            }
            groups
        }
    };
    Some(
        full.iter()
            .fold(0u128, |acc, g| (acc << 16) | u128::from(*g)),
    )
}

/// Go 1.16's `net.ParseCIDR`.
fn parse_cidr(s: &str) -> Result<Net, String> {
    let bad = || format!("invalid CIDR address: {s}");
    let (addr, m) = s.split_once('/').ok_or_else(bad)?;
    let (ip, bits) = match parse_ipv4(addr) {
        Some(v) => (u128::from(v), 32),
        None => (parse_ipv6(addr).ok_or_else(bad)?, 128),
    };
    let (n, i) = dtoi(m).ok_or_else(bad)?;
    if i != m.len() || n > bits {
        return Err(bad());
    }
    Ok(Net {
        ip: Ip {
            v: ip & mask(n, bits),
            bits,
        },
        len: n,
    })
}

fn parse_net(s: &str) -> Result<Net, FuncError> {
    parse_cidr(s).map_err(|e| FuncError::new(format!("invalid CIDR expression: {e}")))
}

/// Go's `net.IP.String()` (an IPv4-mapped IPv6 address prints in dotted form).
fn ip_string(ip: Ip) -> String {
    if ip.bits == 32 || (ip.v >> 32) == 0xFFFF {
        let v = ip.v as u32;
        return format!(
            "{}.{}.{}.{}",
            v >> 24,
            (v >> 16) & 0xFF,
            (v >> 8) & 0xFF,
            v & 0xFF
        );
    }
    let groups: Vec<u16> = (0..8).map(|i| (ip.v >> (112 - 16 * i)) as u16).collect();
    // Longest run of zero groups (at least two), first one wins.
    let (mut best_start, mut best_len) = (usize::MAX, 0);
    let mut i = 0;
    while i < 8 {
        if groups[i] == 0 {
            let start = i;
            while i < 8 && groups[i] == 0 {
                i += 1;
            }
            if i - start > best_len && i - start >= 2 {
                best_start = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if i == best_start {
            out.push_str("::");
            i += best_len;
            continue;
        }
        if i > 0 && !out.ends_with(':') {
            out.push(':');
        }
        out.push_str(&format!("{:x}", groups[i]));
        i += 1;
    }
    out
}

/// Go's `IPNet.String()`.
fn net_string(ip: Ip, len: u32) -> String {
    format!("{}/{len}", ip_string(ip))
}

fn number_to_int(args: &[Value], i: usize) -> Result<i64, FuncError> {
    to_whole_int(num_arg(args, i)?).map_err(FuncError::new)
}

fn cidrhost(args: &[Value]) -> Result<Value, FuncError> {
    let net = parse_net(str_arg(args, 0)?)?;
    let num = number_to_int(args, 1)?;
    let host_len = net.ip.bits - net.len;
    // go-cidr's HostBig, in exact arithmetic.
    let max_host: u128 = if host_len >= 128 {
        u128::MAX
    } else {
        (1u128 << host_len) - 1
    };
    let (num_u, host): (u128, i128) = if num < 0 {
        let nu = u128::from(num.unsigned_abs() - 1);
        (nu, max_host as i128 - nu as i128)
    } else {
        (num as u128, i128::from(num))
    };
    if num_u > max_host {
        return Err(FuncError::new(format!(
            "prefix of {} does not accommodate a host numbered {host}",
            net.len
        )));
    }
    let v = net.ip.v | (host as u128 & mask_all(net.ip.bits));
    Ok(Value::string(ip_string(Ip {
        v,
        bits: net.ip.bits,
    })))
}

fn mask_all(bits: u32) -> u128 {
    if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

fn cidrnetmask(args: &[Value]) -> Result<Value, FuncError> {
    let net = parse_net(str_arg(args, 0)?)?;
    Ok(Value::string(ip_string(Ip {
        v: mask(net.len, net.ip.bits),
        bits: net.ip.bits,
    })))
}

fn cidrsubnet(args: &[Value]) -> Result<Value, FuncError> {
    let net = parse_net(str_arg(args, 0)?)?;
    let newbits = number_to_int(args, 1)?;
    let num = number_to_int(args, 2)?;
    if newbits > 32 {
        return Err(FuncError::new("may not extend prefix by more than 32 bits"));
    }
    let bits = i64::from(net.ip.bits);
    let new_len = i64::from(net.len) + newbits;
    let insufficient = || {
        FuncError::new(format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            net.len
        ))
    };
    if new_len > bits {
        return Err(insufficient());
    }
    // go-cidr: maxNetNum := uint64(1<<uint64(newBits)) - 1, with Go's shift semantics.
    let shift = newbits as u64;
    let max_net: u64 = if shift >= 64 {
        u64::MAX
    } else {
        (1u64 << shift).wrapping_sub(1)
    };
    if (num as u64) > max_net {
        return Err(FuncError::new(format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {num}"
        )));
    }
    if new_len < 0 {
        return Err(insufficient());
    }
    let host_bits = (bits - new_len) as u32;
    let add = if host_bits >= 128 {
        0
    } else {
        (u128::from(num as u64) << host_bits) & mask_all(net.ip.bits)
    };
    let ip = Ip {
        v: net.ip.v | add,
        bits: net.ip.bits,
    };
    Ok(Value::string(net_string(ip, new_len as u32)))
}

/// go-cidr's address range end for a network.
fn last_addr(ip: Ip, len: u32) -> u128 {
    (ip.v & mask(len, ip.bits)) | (mask_all(ip.bits) & !mask(len, ip.bits))
}

fn cidrsubnets(args: &[Value]) -> Result<Value, FuncError> {
    let prefix = str_arg(args, 0)?;
    let net = parse_cidr(prefix)
        .map_err(|e| FuncError::arg(0, format!("invalid CIDR expression: {e}")))?;
    let bits = net.ip.bits;
    let lengths = &args[1..];
    if lengths.is_empty() {
        return Ok(Value::empty_list(Type::String));
    }
    let first = to_whole_int(num_arg(args, 1)?).map_err(|e| FuncError::arg(1, e))?;
    let first_len = i64::from(net.len) + first;
    // PreviousSubnet(network, firstLength): the address before the network, masked.
    let first_len_c = first_len.clamp(0, i64::from(bits)) as u32;
    let prev = net.ip.v.wrapping_sub(1) & mask_all(bits);
    let mut current = Net {
        ip: Ip {
            v: prev & mask(first_len_c, bits),
            bits,
        },
        len: first_len_c,
    };
    let mut out = Vec::with_capacity(lengths.len());
    for (i, _) in lengths.iter().enumerate() {
        let ai = i + 1;
        let l = to_whole_int(num_arg(args, ai)?).map_err(|e| FuncError::arg(ai, e))?;
        if l < 1 {
            return Err(FuncError::arg(ai, "must extend prefix by at least one bit"));
        }
        if l > 32 {
            return Err(FuncError::arg(
                ai,
                "may not extend prefix by more than 32 bits",
            ));
        }
        let len = l + i64::from(net.len);
        if len > i64::from(bits) {
            let proto = if bits == 32 { "IPv4" } else { "IPv6" };
            return Err(FuncError::arg(
                ai,
                format!(
                    "would extend prefix to {len} bits, which is too long for an {proto} address"
                ),
            ));
        }
        let len = len as u32;
        // NextSubnet(current, len)
        let cur_last = last_addr(current.ip, current.len);
        let sub_last = last_addr(Ip { v: cur_last, bits }, len);
        let next_v = sub_last.wrapping_add(1) & mask_all(bits);
        let rollover = next_v == 0;
        let next = Net {
            ip: Ip {
                v: next_v & mask(len, bits),
                bits,
            },
            len,
        };
        let contained = (next.ip.v & mask(net.len, bits)) == net.ip.v;
        if rollover || !contained {
            return Err(FuncError::arg(
                ai,
                format!(
                    "not enough remaining address space for a subnet with a prefix of {len} bits after {}",
                    net_string(current.ip, current.len)
                ),
            ));
        }
        current = next;
        out.push(Value::string(net_string(current.ip, current.len)));
    }
    Ok(Value::list(Type::String, out))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn cidrhost_like_terraform() {
        let c = |p: &str, h: i64| call_str("cidrhost", &[s(p), i(h)]);
        assert_eq!(c("10.12.112.0/20", 16), "10.12.112.16");
        assert_eq!(c("10.12.112.0/20", 268), "10.12.113.12");
        assert_eq!(c("10.12.112.0/20", -1), "10.12.127.255");
        assert_eq!(
            c("fd00:fd12:3456:7890:00a2::/72", 34),
            "fd00:fd12:3456:7890::22"
        );
        assert_eq!(c("192.168.1.0/24", 0), "192.168.1.0");
        assert_eq!(c("192.168.1.77/24", 5), "192.168.1.5");
        assert_eq!(c("010.0.0.0/8", 1), "10.0.0.1");
        assert_eq!(c("::/0", -1), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        let e = |p: &str, h: Value| call_err("cidrhost", &[s(p), h]).message;
        assert_eq!(e("10.0.0.0/8", n("1.5")), "value must be a whole number");
        assert_eq!(
            e("10.0.0.0/30", i(-5)),
            "prefix of 30 does not accommodate a host numbered -1"
        );
        assert_eq!(
            e("10.0.0.0/30", i(4)),
            "prefix of 30 does not accommodate a host numbered 4"
        );
        assert_eq!(
            e("foo", i(1)),
            "invalid CIDR expression: invalid CIDR address: foo"
        );
        assert_eq!(
            e("10.0.0.0/33", i(1)),
            "invalid CIDR expression: invalid CIDR address: 10.0.0.0/33"
        );
    }

    #[test]
    fn full_length_ipv6_prefixes() {
        // A /128 used to overflow a shift (a panic in debug builds, a zero mask in release).
        assert_eq!(call_str("cidrhost", &[s("::1/128"), i(0)]), "::1");
        assert_eq!(
            call_str("cidrnetmask", &[s("::1/128")]),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        let v = call("cidrsubnets", &[s("fe80::/120"), i(8), i(8)]).expect("cidrsubnets");
        assert_eq!(
            v.to_string(),
            "tolist([\n  \"fe80::/128\",\n  \"fe80::1/128\",\n])"
        );
        assert_eq!(
            call_err("cidrsubnets", &[s("fe80::/64"), i(100)]).message,
            "may not extend prefix by more than 32 bits"
        );
    }

    #[test]
    fn cidrnetmask_like_terraform() {
        let c = |p: &str| call_str("cidrnetmask", &[s(p)]);
        assert_eq!(c("172.16.0.0/12"), "255.240.0.0");
        assert_eq!(c("10.0.0.1/32"), "255.255.255.255");
        assert_eq!(c("0.0.0.0/0"), "0.0.0.0");
        assert_eq!(c("fd00::/56"), "ffff:ffff:ffff:ff00::");
        assert_eq!(c("::/0"), "::");
    }

    #[test]
    fn cidrsubnet_like_terraform() {
        let c = |p: &str, b: i64, n: i64| call_str("cidrsubnet", &[s(p), i(b), i(n)]);
        assert_eq!(c("172.16.0.0/12", 4, 2), "172.18.0.0/16");
        assert_eq!(c("10.1.2.0/24", 4, 15), "10.1.2.240/28");
        assert_eq!(
            c("fd00:fd12:3456:7890::/56", 16, 162),
            "fd00:fd12:3456:7800:a200::/72"
        );
        assert_eq!(c("10.0.0.0/16", 0, 0), "10.0.0.0/16");
        assert_eq!(
            c("2607:f298:6051:516c::/64", 8, 255),
            "2607:f298:6051:516c:ff00::/72"
        );
        assert_eq!(c("10.0.0.0/8", -1, 0), "10.0.0.0/7");
        let e = |p: &str, b: i64, n: i64| call_err("cidrsubnet", &[s(p), i(b), i(n)]).message;
        assert_eq!(
            e("10.0.0.0/30", 4, 0),
            "insufficient address space to extend prefix of 30 by 4"
        );
        assert_eq!(
            e("10.0.0.0/8", 8, 256),
            "prefix extension of 8 does not accommodate a subnet numbered 256"
        );
        assert_eq!(
            e("10.0.0.0/8", 8, -1),
            "prefix extension of 8 does not accommodate a subnet numbered -1"
        );
        assert_eq!(
            e("fd00::/8", 33, 0),
            "may not extend prefix by more than 32 bits"
        );
    }

    #[test]
    fn cidrsubnets_like_terraform() {
        let c = |p: &str, bs: &[i64]| {
            let mut a = vec![s(p)];
            a.extend(bs.iter().map(|b| i(*b)));
            call_in(std::path::Path::new("."), "cidrsubnets", &a)
        };
        let strs = |v: Value| -> Vec<String> {
            assert_eq!(v.ty(), Type::list(Type::String));
            v.elements()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            strs(c("10.1.0.0/16", &[4, 4, 8, 4]).unwrap()),
            [
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ]
        );
        assert_eq!(
            strs(c("fd00:fd12:3456:7890::/56", &[16, 16, 16, 32]).unwrap()),
            [
                "fd00:fd12:3456:7800::/72",
                "fd00:fd12:3456:7800:100::/72",
                "fd00:fd12:3456:7800:200::/72",
                "fd00:fd12:3456:7800:300::/88"
            ]
        );
        assert!(strs(c("10.0.0.0/8", &[]).unwrap()).is_empty());
        assert_eq!(
            strs(c("10.1.0.0/16", &[8, 8]).unwrap()),
            ["10.1.0.0/24", "10.1.1.0/24"]
        );
        let e = c("10.0.0.0/30", &[1, 1, 1]).unwrap_err();
        assert_eq!(e.arg, Some(3));
        assert_eq!(
            e.message,
            "not enough remaining address space for a subnet with a prefix of 31 bits after 10.0.0.2/31"
        );
        let e = c("10.0.0.0/30", &[0]).unwrap_err();
        assert_eq!(e.message, "must extend prefix by at least one bit");
        let e = c("10.0.0.0/30", &[3]).unwrap_err();
        assert_eq!(
            e.message,
            "would extend prefix to 33 bits, which is too long for an IPv4 address"
        );
        let e = c("x", &[3]).unwrap_err();
        assert_eq!(e.arg, Some(0));
    }

    #[test]
    fn ipv6_text() {
        let p = |x: &str| parse_ipv6(x).map(|v| ip_string(Ip { v, bits: 128 }));
        assert_eq!(p("::").as_deref(), Some("::"));
        assert_eq!(p("1::").as_deref(), Some("1::"));
        assert_eq!(p("::1").as_deref(), Some("::1"));
        assert_eq!(p("1:0:0:2:0:0:0:3").as_deref(), Some("1:0:0:2::3"));
        assert_eq!(p("1:2:3:4:5:6:7:8").as_deref(), Some("1:2:3:4:5:6:7:8"));
        assert_eq!(p("1:0:2:3:4:5:6:7").as_deref(), Some("1:0:2:3:4:5:6:7"));
        assert_eq!(p("::ffff:10.0.0.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(p("1:2:3:4:5:6:7:8:9"), None);
        assert_eq!(p("1::2::3"), None);
        assert_eq!(p("12345::"), None);
    }
}
