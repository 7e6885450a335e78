//! A thin layer over `quick-xml` shared by the XML parsers: entity references folded into text,
//! empty elements expanded, errors mapped to [`Error`] and truncation detected.

use std::borrow::Cow;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, Result};
use crate::model::SourceList;

/// One parsing step.
pub(crate) enum Node<'a> {
    /// An element opens (empty elements are reported as an open followed by a close).
    Open(BytesStart<'a>),
    /// An element closes.
    Close(BytesEnd<'a>),
    /// Character data (text, CDATA or a resolved entity reference).
    Text(Cow<'a, str>),
    /// The document ended with every element closed.
    Done,
}

pub(crate) struct XmlStream<'a> {
    reader: Reader<&'a [u8]>,
    depth: usize,
    seen_root: bool,
    pending_close: Option<BytesEnd<'a>>,
    list: SourceList,
}

impl<'a> XmlStream<'a> {
    pub(crate) fn new(bytes: &'a [u8], list: SourceList) -> Result<Self> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::Empty { list });
        }
        let mut reader = Reader::from_reader(bytes);
        let config = reader.config_mut();
        config.trim_text(true);
        config.expand_empty_elements = true;
        config.check_end_names = true;
        Ok(Self { reader, depth: 0, seen_root: false, pending_close: None, list })
    }

    pub(crate) fn malformed(&self, detail: impl Into<String>) -> Error {
        Error::Malformed {
            list: self.list.clone(),
            detail: format!("{} (near byte {})", detail.into(), self.reader.buffer_position()),
        }
    }

    pub(crate) fn next(&mut self) -> Result<Node<'a>> {
        if let Some(end) = self.pending_close.take() {
            self.depth = self.depth.saturating_sub(1);
            return Ok(Node::Close(end));
        }
        loop {
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(err) => {
                    // quick-xml reports a cut inside a tag or a missing end tag as a syntax or
                    // end-name error at the end of the input.
                    let at_end = self.reader.buffer_position() as usize >= self.reader.get_ref().len();
                    return Err(if at_end && self.depth > 0 {
                        Error::Truncated { list: self.list.clone(), detail: err.to_string() }
                    } else {
                        self.malformed(err.to_string())
                    });
                }
            };
            match event {
                Event::Start(start) => {
                    if self.depth == 0 && self.seen_root {
                        return Err(self.malformed("more than one root element"));
                    }
                    self.depth += 1;
                    self.seen_root = true;
                    return Ok(Node::Open(start));
                }
                Event::Empty(start) => {
                    if self.depth == 0 && self.seen_root {
                        return Err(self.malformed("more than one root element"));
                    }
                    self.depth += 1;
                    self.seen_root = true;
                    let name = start.local_name().as_ref().to_owned();
                    self.pending_close = Some(BytesEnd::new(name));
                    return Ok(Node::Open(start));
                }
                Event::End(end) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(Node::Close(end));
                }
                Event::Text(text) => return Ok(Node::Text(text.xml10_content())),
                Event::CData(data) => {
                    return Ok(Node::Text(Cow::Owned(data.xml10_content().into_owned())));
                }
                Event::GeneralRef(reference) => {
                    let text = match reference.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        Ok(None) => match resolve_predefined_entity(&reference) {
                            Some(s) => s.to_owned(),
                            None => format!("&{};", &*reference),
                        },
                        Err(err) => return Err(self.malformed(err.to_string())),
                    };
                    return Ok(Node::Text(Cow::Owned(text)));
                }
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(Error::Truncated {
                            list: self.list.clone(),
                            detail: format!("input ended with {} element(s) still open", self.depth),
                        });
                    }
                    if !self.seen_root {
                        return Err(Error::Empty { list: self.list.clone() });
                    }
                    return Ok(Node::Done);
                }
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
    }
}

/// The value of an attribute by local name, entity references resolved.
pub(crate) fn attr(start: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    start.attributes().flatten().find(|a| a.key.local_name().as_ref().as_bytes() == name).map(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(Cow::into_owned)
            .unwrap_or_else(|_| a.value.to_string())
    })
}

/// An attribute parsed as an unsigned number.
pub(crate) fn attr_u64(start: &BytesStart<'_>, name: &[u8]) -> Option<u64> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref().as_bytes() == name)
        .and_then(|a| a.value.trim().parse().ok())
}
