//! Hash and crypto functions: md5, sha1, sha256, sha512, base64sha256, base64sha512, the
//! file* hash variants, bcrypt, rsadecrypt, uuid, uuidv5 (Terraform's lang/funcs/crypto.go).

use super::common_b::*;
use super::filesystem::{go_read, resolve};
use crate::lang::types::Type;
use crate::lang::value::Value;
use base64::Engine as _;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

pub fn functions() -> Vec<FuncDef> {
    let st = || Param::new("str", Type::String);
    let path = || Param::new("path", Type::String);
    vec![
        FuncDef::new("md5", vec![st()], string, |a| hash_str::<Md5>(a, Enc::Hex)),
        FuncDef::new("sha1", vec![st()], string, |a| {
            hash_str::<Sha1>(a, Enc::Hex)
        }),
        FuncDef::new("sha256", vec![st()], string, |a| {
            hash_str::<Sha256>(a, Enc::Hex)
        }),
        FuncDef::new("sha512", vec![st()], string, |a| {
            hash_str::<Sha512>(a, Enc::Hex)
        }),
        FuncDef::new("base64sha256", vec![st()], string, |a| {
            hash_str::<Sha256>(a, Enc::Base64)
        }),
        FuncDef::new("base64sha512", vec![st()], string, |a| {
            hash_str::<Sha512>(a, Enc::Base64)
        }),
        FuncDef::with_ctx("filemd5", vec![path()], string, |c, a| {
            hash_file::<Md5>(c, a, Enc::Hex)
        }),
        FuncDef::with_ctx("filesha1", vec![path()], string, |c, a| {
            hash_file::<Sha1>(c, a, Enc::Hex)
        }),
        FuncDef::with_ctx("filesha256", vec![path()], string, |c, a| {
            hash_file::<Sha256>(c, a, Enc::Hex)
        }),
        FuncDef::with_ctx("filesha512", vec![path()], string, |c, a| {
            hash_file::<Sha512>(c, a, Enc::Hex)
        }),
        FuncDef::with_ctx("filebase64sha256", vec![path()], string, |c, a| {
            hash_file::<Sha256>(c, a, Enc::Base64)
        }),
        FuncDef::with_ctx("filebase64sha512", vec![path()], string, |c, a| {
            hash_file::<Sha512>(c, a, Enc::Base64)
        }),
        FuncDef::new("bcrypt", vec![st()], string, bcrypt_fn)
            .var_param(Param::new("cost", Type::Number))
            .impure(),
        FuncDef::new(
            "rsadecrypt",
            vec![
                Param::new("ciphertext", Type::String),
                Param::new("privatekey", Type::String),
            ],
            string,
            rsadecrypt,
        ),
        FuncDef::new("uuid", vec![], string, |_| {
            Ok(Value::string(uuid::Uuid::new_v4().to_string()))
        })
        .impure(),
        FuncDef::new(
            "uuidv5",
            vec![
                Param::new("namespace", Type::String),
                Param::new("name", Type::String),
            ],
            string,
            uuidv5,
        ),
    ]
}

#[derive(Clone, Copy)]
enum Enc {
    Hex,
    Base64,
}

fn encode(sum: &[u8], enc: Enc) -> String {
    match enc {
        Enc::Hex => sum.iter().map(|b| format!("{b:02x}")).collect(),
        Enc::Base64 => base64::engine::general_purpose::STANDARD.encode(sum),
    }
}

fn hash_str<D: Digest>(args: &[Value], enc: Enc) -> Result<Value, FuncError> {
    let s = arg_str(args, 0)?;
    Ok(Value::string(encode(&D::digest(s.as_bytes()), enc)))
}

fn hash_file<D: Digest>(ctx: &FuncCtx, args: &[Value], enc: Enc) -> Result<Value, FuncError> {
    let path = arg_str(args, 0)?;
    let full = resolve(ctx, path).map_err(FuncError::general)?;
    let data = go_read(&full).map_err(|(_, e)| FuncError::general(e))?;
    Ok(Value::string(encode(&D::digest(&data), enc)))
}

fn bcrypt_fn(args: &[Value]) -> Result<Value, FuncError> {
    let s = arg_str(args, 0)?;
    let mut cost: i64 = 10;
    if args.len() > 1 {
        cost = num_to_int(arg_num(args, 1)?).map_err(FuncError::general)?;
    }
    if args.len() > 2 {
        return Err(FuncError::general(
            "bcrypt() takes no more than two arguments",
        ));
    }
    // Go's bcrypt uses the default cost for anything below the minimum.
    if cost < 4 {
        cost = 10;
    }
    if cost > 31 {
        return Err(FuncError::general(format!(
            "error occured generating password crypto/bcrypt: bcrypt cost {cost} is outside \
             allowed range (4,31)"
        )));
    }
    // Go truncates passwords to 72 bytes.
    let pw = &s.as_bytes()[..s.len().min(72)];
    let h = bcrypt::hash_with_result(pw, cost as u32)
        .map_err(|e| FuncError::general(format!("error occured generating password {e}")))?;
    Ok(Value::string(h.format_for_version(bcrypt::Version::TwoA)))
}

fn rsadecrypt(args: &[Value]) -> Result<Value, FuncError> {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    let ct = arg_str(args, 0)?;
    let key = arg_str(args, 1)?;
    let Ok(bytes) = super::encoding::go_base64_decode(ct) else {
        return Err(FuncError::arg(
            0,
            format!(
                "failed to decode input {}: cipher text must be base64-encoded",
                crate::lang::value::go_quote(ct)
            ),
        ));
    };
    let Some(begin) = key.find("-----BEGIN") else {
        return Err(FuncError::arg(1, "invalid private key: ssh: no key found"));
    };
    let pem = &key[begin..];
    let label_end = pem[10..].find("-----").map(|i| i + 10);
    let label = label_end.map(|e| pem[10..e].trim()).unwrap_or("");
    let pk = match label {
        "RSA PRIVATE KEY" => rsa::RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| {
            FuncError::arg(
                1,
                format!("invalid ASN1 data in the given private key: {e}"),
            )
        })?,
        "PRIVATE KEY" => rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|e| FuncError::arg(1, format!("invalid private key: {e}")))?,
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" | "OPENSSH PRIVATE KEY" => {
            return Err(FuncError::arg(
                1,
                "invalid private key type: only RSA keys can decrypt",
            ))
        }
        other => {
            return Err(FuncError::arg(
                1,
                format!("invalid private key: ssh: unsupported key type \"{other}\""),
            ))
        }
    };
    let out = pk
        .decrypt(rsa::Pkcs1v15Encrypt, &bytes)
        .map_err(|_| FuncError::general("failed to decrypt: crypto/rsa: decryption error"))?;
    Ok(Value::string(String::from_utf8_lossy(&out).into_owned()))
}

/// google/uuid's `Parse`.
fn parse_uuid(s: &str) -> Result<uuid::Uuid, String> {
    let b = s.as_bytes();
    let hex: String = match b.len() {
        36 => {
            if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
                return Err("invalid UUID format".into());
            }
            s.replace('-', "")
        }
        38 => {
            if b[0] != b'{' || b[37] != b'}' {
                return Err("invalid UUID format".into());
            }
            return parse_uuid(&s[1..37]);
        }
        45 => {
            if !s[..9].eq_ignore_ascii_case("urn:uuid:") {
                return Err(format!("invalid urn prefix: {}", &s[..9]));
            }
            return parse_uuid(&s[9..]);
        }
        32 => s.to_string(),
        n => return Err(format!("invalid UUID length: {n}")),
    };
    if hex.len() != 32 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err("invalid UUID format".into());
    }
    uuid::Uuid::parse_str(&hex).map_err(|_| "invalid UUID format".to_string())
}

fn uuidv5(args: &[Value]) -> Result<Value, FuncError> {
    let ns = arg_str(args, 0)?;
    let name = arg_str(args, 1)?;
    let nsid = match ns {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        _ => parse_uuid(ns).map_err(|e| {
            FuncError::general(format!("uuidv5() doesn't support namespace {ns} ({e})"))
        })?,
    };
    Ok(Value::string(
        uuid::Uuid::new_v5(&nsid, name.as_bytes()).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::common_b::testutil::*;
    use super::*;

    #[test]
    fn hashes_match_terraform() {
        let f = functions();
        let c = |n: &str, a: &str| call_str(&f, n, &[s(a)]);
        assert_eq!(c("md5", "hello world"), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(c("md5", ""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(c("md5", "héllo"), "be50e8478cf24ff3595bc7307fb91b50");
        assert_eq!(
            c("sha1", "hello world"),
            "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
        );
        assert_eq!(
            c("sha256", "hello world"),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(
            c("sha512", "hello world"),
            "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"
        );
        assert_eq!(
            c("base64sha256", "hello world"),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert_eq!(
            c("base64sha256", "日本"),
            "zyq/DFvjJsuSKnD4Fj+RB5xNmqhlXGDq2JrVRcneLpI="
        );
        assert_eq!(
            c("base64sha512", "hello world"),
            "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw=="
        );
        let v = call_in(
            &f,
            std::path::Path::new("."),
            "md5",
            &[s("x").mark_sensitive()],
        )
        .unwrap();
        assert!(v.is_sensitive());
    }

    #[test]
    fn file_hashes() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("hello.txt"), "Hello World\n").unwrap();
        let f = functions();
        let c = |n: &str| {
            call_in(&f, d.path(), n, &[s("hello.txt")])
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(c("filemd5"), "e59ff97941044f85df5297e1c302d260");
        assert_eq!(c("filesha1"), "648a6a6ffffdaa0badb23b8baf90b6168dd16b3a");
        assert_eq!(
            c("filesha256"),
            "d2a84f4b8b650937ec8f73cd8be2c74add5a911ba64df27458ed8229da804a26"
        );
        assert_eq!(
            c("filebase64sha256"),
            "0qhPS4tlCTfsj3PNi+LHSt1akRumTfJ0WO2CKdqASiY="
        );
        assert_eq!(
            c("filebase64sha512"),
            "4cES/5CP68O5ixaTps01ZOr45ebKYp0ITZ8OupkkfKzdcuNp/4lBOXwoB0Cf9mvmS+kI2hete4pJoqJsDoCGqg=="
        );
        let e = call_in(
            &f,
            std::path::Path::new("."),
            "filemd5",
            &[s("./nope/../missing")],
        )
        .unwrap_err();
        assert_eq!(e.message, "open missing: no such file or directory");
        let e = call_in(&f, d.path(), "filemd5", &[s(".")]).unwrap_err();
        assert!(e.message.ends_with(": is a directory"), "{}", e.message);
    }

    #[test]
    fn uuids() {
        let f = functions();
        let c = |a: &str, b: &str| call_str(&f, "uuidv5", &[s(a), s(b)]);
        assert_eq!(
            c("dns", "www.terraform.io"),
            "a5008fae-b28c-5ba5-96cd-82b4c53552d6"
        );
        assert_eq!(
            c("url", "https://www.terraform.io/"),
            "9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"
        );
        assert_eq!(
            c("oid", "1.3.6.1.4"),
            "af9d40a5-7a36-5c07-b23a-851cd99fbfa5"
        );
        assert_eq!(
            c("x500", "CN=Example,C=GB"),
            "84e09961-4aa4-57f8-95b7-03edb1073253"
        );
        assert_eq!(
            c("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.terraform.io"),
            "a5008fae-b28c-5ba5-96cd-82b4c53552d6"
        );
        assert_eq!(
            call_err(&f, "uuidv5", &[s("foo"), s("x")]).message,
            "uuidv5() doesn't support namespace foo (invalid UUID length: 3)"
        );
        let u = call_str(&f, "uuid", &[]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, call_str(&f, "uuid", &[]));
    }

    #[test]
    fn bcrypt_like_go() {
        let f = functions();
        let h = call_str(&f, "bcrypt", &[s("hello"), i(4)]);
        assert_eq!(h.len(), 60);
        assert_eq!(&h[..7], "$2a$04$");
        assert!(bcrypt::verify("hello", &h).unwrap());
        let h = call_str(&f, "bcrypt", &[s("hello"), i(1)]);
        assert_eq!(&h[..7], "$2a$10$");
        assert_eq!(
            call_err(&f, "bcrypt", &[s("x"), i(32)]).message,
            "error occured generating password crypto/bcrypt: bcrypt cost 32 is outside allowed range (4,31)"
        );
        assert_eq!(
            call_err(&f, "bcrypt", &[s("x"), i(5), i(6)]).message,
            "bcrypt() takes no more than two arguments"
        );
    }

    #[test]
    fn rsa_errors() {
        let f = functions();
        let e = call_err(&f, "rsadecrypt", &[s("!!"), s("k")]);
        assert_eq!(e.arg, Some(0));
        assert_eq!(
            e.message,
            "failed to decode input \"!!\": cipher text must be base64-encoded"
        );
        let e = call_err(&f, "rsadecrypt", &[s("YQ=="), s("k")]);
        assert_eq!(e.arg, Some(1));
        assert_eq!(e.message, "invalid private key: ssh: no key found");
    }
}
