//! CIDR functions (cidrsubnet, cidrsubnets, cidrhost, cidrnetmask) for IPv4
//! and IPv6. Addresses are handled as integers in the low `bits` bits of a
//! u128 (32 for IPv4, 128 for IPv6).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use iac_core::Value;

use crate::args::{arg_err, fail, integer, string, FnResult};
use crate::FunctionContext;

/// A parsed prefix, its address already masked to the network address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Net {
    addr: u128,
    prefix: u32,
    /// 32 or 128.
    bits: u32,
}

impl Net {
    fn full(bits: u32) -> u128 {
        if bits >= 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        }
    }

    /// The netmask of a prefix length within `bits`.
    fn mask(prefix: u32, bits: u32) -> u128 {
        let full = Net::full(bits);
        full & !full.checked_shr(prefix).unwrap_or(0)
    }

    fn new(addr: u128, prefix: u32, bits: u32) -> Net {
        Net { addr: addr & Net::mask(prefix, bits), prefix, bits }
    }

    fn last(&self) -> u128 {
        self.addr | (Net::full(self.bits) & !Net::mask(self.prefix, self.bits))
    }

    fn contains(&self, addr: u128) -> bool {
        addr & Net::mask(self.prefix, self.bits) == self.addr
    }

    fn protocol(&self) -> &'static str {
        if self.bits == 32 {
            "IPv4"
        } else {
            "IPv6"
        }
    }

    fn to_cidr(self) -> String {
        format!("{}/{}", ip_string(self.addr, self.bits), self.prefix)
    }
}

fn ip_string(addr: u128, bits: u32) -> String {
    if bits == 32 {
        Ipv4Addr::from(addr as u32).to_string()
    } else {
        Ipv6Addr::from(addr).to_string()
    }
}

fn parse_cidr(s: &str) -> Result<Net, String> {
    let invalid = || format!("invalid CIDR address: {s}");
    let (ip, prefix) = s.split_once('/').ok_or_else(invalid)?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() > 3 {
        return Err(invalid());
    }
    let prefix: u32 = prefix.parse().map_err(|_| invalid())?;
    let (addr, bits) = match ip.parse::<IpAddr>().map_err(|_| invalid())? {
        IpAddr::V4(v4) => (u32::from(v4) as u128, 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    };
    if prefix > bits {
        return Err(invalid());
    }
    Ok(Net::new(addr, prefix, bits))
}

fn prefix_arg(args: &[Value]) -> Result<Net, crate::args::Fail> {
    let s = string(args, 0)?;
    parse_cidr(&s).or_else(|m| arg_err(0, m))
}

/// cidrsubnet(prefix, newbits, netnum)
pub(crate) fn cidrsubnet(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let net = prefix_arg(&args)?;
    let newbits = integer(&args, 1)?;
    let netnum = integer(&args, 2)?;
    if newbits < 0 {
        return arg_err(1, "newbits must not be negative");
    }
    if newbits > 32 {
        return arg_err(1, "may not extend prefix by more than 32 bits");
    }
    let newbits = newbits as u32;
    let new_prefix = net.prefix + newbits;
    if new_prefix > net.bits {
        return fail(format!("insufficient address space to extend prefix of {} by {}", net.prefix, newbits));
    }
    if netnum < 0 || (netnum as u128) >= (1u128 << newbits) {
        return fail(format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"));
    }
    let shift = net.bits - new_prefix;
    let addr = net.addr | (netnum as u128).checked_shl(shift).unwrap_or(0);
    Ok(Value::String(Net::new(addr, new_prefix, net.bits).to_cidr()))
}

/// cidrhost(prefix, hostnum); a negative hostnum counts back from the end.
pub(crate) fn cidrhost(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let net = prefix_arg(&args)?;
    let hostnum = integer(&args, 1)?;
    let max_host = Net::full(net.bits - net.prefix);
    let offset = if hostnum >= 0 {
        hostnum as u128
    } else {
        // -1 is the last address, -2 the one before ...
        let back = (hostnum.unsigned_abs() as u128) - 1;
        if back > max_host {
            return fail(format!("prefix of {} does not accommodate a host numbered {}", net.prefix, hostnum));
        }
        max_host - back
    };
    if offset > max_host {
        return fail(format!("prefix of {} does not accommodate a host numbered {}", net.prefix, hostnum));
    }
    Ok(Value::String(ip_string(net.addr | offset, net.bits)))
}

/// cidrnetmask(prefix): the dotted netmask of an IPv4 prefix.
pub(crate) fn cidrnetmask(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let net = prefix_arg(&args)?;
    if net.bits != 32 {
        return arg_err(0, format!("IPv6 addresses cannot have a netmask: {}", net.to_cidr()));
    }
    Ok(Value::String(ip_string(Net::mask(net.prefix, 32), 32)))
}

/// cidrsubnets(prefix, newbits...): consecutive subnets of the given sizes,
/// each aligned to its own size, as Terraform allocates them.
pub(crate) fn cidrsubnets(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let net = prefix_arg(&args)?;
    let full = Net::full(net.bits);
    let mut out = Vec::new();
    // The allocation starts "before" the network: its last address is the
    // one just before the network's first.
    let mut current_last = net.addr.wrapping_sub(1) & full;
    let mut current_desc = String::new();
    for i in 1..args.len() {
        let ext = integer(&args, i)?;
        if ext < 1 {
            return arg_err(i, "must extend prefix by at least one bit");
        }
        if ext > 32 {
            return arg_err(i, "may not extend prefix by more than 32 bits");
        }
        let length = net.prefix + ext as u32;
        if length > net.bits {
            return arg_err(i, format!("would extend prefix to {length} bits, which is too long for an {} address", net.protocol()));
        }
        // The subnet of this size holding the previous allocation's last
        // address; the next one starts right after it.
        let holder = Net::new(current_last, length, net.bits);
        let start = holder.last().wrapping_add(1) & full;
        let next = Net::new(start, length, net.bits);
        if (i > 1 || current_last != full) && start == 0 || !net.contains(next.addr) {
            let after = if current_desc.is_empty() { net.to_cidr() } else { current_desc.clone() };
            return arg_err(i, format!("not enough remaining address space for a subnet with a prefix of {length} bits after {after}"));
        }
        current_last = next.last();
        current_desc = next.to_cidr();
        out.push(Value::String(current_desc.clone()));
    }
    Ok(Value::list(out))
}
