"""WebDAV properties over the HTTPS face (docs/webdav.md): PROPPATCH sets
and removes dead properties, PROPFIND (allprop, propname, prop) gives them
back, they follow the resource through MOVE, COPY, overwriting PUT and
DELETE, live properties are protected (403 + 424, nothing applied), the
per-resource limit answers 507, bad bodies 400, and a Depth 1 listing of a
large folder (streamed in chunks) is complete."""

import os
from xml.etree import ElementTree

from sfs_harness import WebDavCase, write_file

NS = "urn:sfs-test:"
D = "{DAV:}"


def propertyupdate(sets=(), removes=(), ns=NS):
    """A PROPPATCH body: sets are (name, inner XML), removes are names."""
    body = '<?xml version="1.0" encoding="utf-8"?>\n'
    body += '<D:propertyupdate xmlns:D="DAV:" xmlns:T="%s">' % ns
    for name, value in sets:
        body += "<D:set><D:prop><T:%s>%s</T:%s></D:prop></D:set>" % (name, value, name)
    for name in removes:
        body += "<D:remove><D:prop><T:%s/></D:prop></D:remove>" % name
    body += "</D:propertyupdate>"
    return body.encode()


def propfind_body(names=None, kind=None):
    body = '<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:" xmlns:T="%s">' % NS
    if kind:
        body += "<D:%s/>" % kind
    else:
        body += "<D:prop>%s</D:prop>" % "".join(names)
    return (body + "</D:propfind>").encode()


def propstats(body):
    """{href: {status code: {property tag: element}}} of a multistatus."""
    out = {}
    for response in ElementTree.fromstring(body).iter(D + "response"):
        href = response.find(D + "href").text
        for ps in response.iter(D + "propstat"):
            code = int(ps.find(D + "status").text.split()[1])
            props = out.setdefault(href, {}).setdefault(code, {})
            for prop in ps.find(D + "prop"):
                props[prop.tag] = prop
    return out


class PropertiesTest(WebDavCase):

    def put(self, path, data):
        local = os.path.join(self.new_temp_dir(), "body")
        write_file(local, data)
        return self.dav("PUT", path, upload_file=local).status

    def dest(self, path):
        return "Destination: /dav/%s" % path

    def dead(self, path, *names):
        """{name: element} of the dead properties `names` found at `path`."""
        r = self.dav("PROPFIND", path, headers=["Depth: 0"],
                     data=propfind_body(["<T:%s/>" % n for n in names]))
        self.assertEqual(r.status, 207, r.body)
        found = next(iter(propstats(r.body).values())).get(200, {})
        return {tag[len("{%s}" % NS):]: e for tag, e in found.items()}

    def test_proppatch_sets_and_removes_in_order_and_propfind_gives_them_back(self):
        self.put("p-a.txt", b"a")
        value = '<x:v xmlns:x="urn:x" x:attr="1">caf\u00e9 &amp; <x:n/></x:v>'
        r = self.dav("PROPPATCH", "p-a.txt",
                     data=propertyupdate([("one", "1"), ("two", value), ("three", "3")]))
        self.assertEqual(r.status, 207, r.body)
        self.assertEqual(set(propstats(r.body)["/dav/p-a.txt"][200]),
                         {"{%s}one" % NS, "{%s}two" % NS, "{%s}three" % NS})
        found = self.dead("p-a.txt", "one", "two", "three", "missing")
        self.assertEqual(found["one"].text, "1")
        inner = found["two"].find("{urn:x}v")
        self.assertEqual((inner.text, inner.get("{urn:x}attr")), ("caf\u00e9 & ", "1"))
        self.assertIsNotNone(inner.find("{urn:x}n"))
        r = self.dav("PROPPATCH", "p-a.txt", data=propertyupdate([("one", "new")], ["three"]))
        self.assertEqual(r.status, 207)
        found = self.dead("p-a.txt", "one", "three")
        self.assertEqual(set(found), {"one"})
        self.assertEqual(found["one"].text, "new")

    def test_allprop_and_propname_list_live_and_dead_properties(self):
        self.dav("MKCOL", "p-col")
        self.dav("PROPPATCH", "p-col", data=propertyupdate([("colour", "blue")]))
        r = self.dav("PROPFIND", "p-col", headers=["Depth: 0"], data=propfind_body(kind="allprop"))
        props = propstats(r.body)["/dav/p-col/"][200]
        self.assertEqual(props["{%s}colour" % NS].text, "blue")
        self.assertIsNotNone(props[D + "resourcetype"].find(D + "collection"))
        self.assertIn(D + "supportedlock", props)
        self.assertIn(D + "lockdiscovery", props)
        r = self.dav("PROPFIND", "p-col", headers=["Depth: 0"],
                     data=propfind_body(kind="propname"))
        props = propstats(r.body)["/dav/p-col/"][200]
        self.assertIsNone(props["{%s}colour" % NS].text)
        self.assertIn(D + "getlastmodified", props)

    def test_named_properties_found_are_200_and_unknown_404(self):
        self.put("p-named.txt", b"12345")
        r = self.dav("PROPFIND", "p-named.txt", headers=["Depth: 0"],
                     data=propfind_body(["<D:getcontentlength/>", "<T:nothing/>"]))
        stats = propstats(r.body)["/dav/p-named.txt"]
        self.assertEqual(stats[200][D + "getcontentlength"].text, "5")
        self.assertEqual(list(stats[404]), ["{%s}nothing" % NS])

    def test_live_properties_are_protected_and_nothing_is_applied(self):
        self.put("p-live.txt", b"x")
        body = ('<D:propertyupdate xmlns:D="DAV:" xmlns:T="%s"><D:set><D:prop>'
                '<T:mine>1</T:mine><D:getetag>"forged"</D:getetag></D:prop></D:set>'
                '</D:propertyupdate>' % NS).encode()
        r = self.dav("PROPPATCH", "p-live.txt", data=body)
        self.assertEqual(r.status, 207)
        stats = propstats(r.body)["/dav/p-live.txt"]
        self.assertEqual(list(stats[403]), [D + "getetag"])
        self.assertEqual(list(stats[424]), ["{%s}mine" % NS])
        self.assertIn("cannot-modify-protected-property", r.body.decode())
        self.assertEqual(self.dead("p-live.txt", "mine"), {})

    def test_dead_properties_follow_move_copy_and_overwrite_and_go_with_delete(self):
        self.dav("MKCOL", "p-tree")
        self.put("p-tree/f.txt", b"f")
        self.dav("PROPPATCH", "p-tree", data=propertyupdate([("dir", "d")]))
        self.dav("PROPPATCH", "p-tree/f.txt", data=propertyupdate([("file", "f")]))
        self.assertEqual(self.dav("MOVE", "p-tree", headers=[self.dest("p-moved")]).status, 201)
        self.assertEqual(self.dead("p-moved", "dir")["dir"].text, "d")
        self.assertEqual(self.dead("p-moved/f.txt", "file")["file"].text, "f")
        self.assertEqual(self.dav("COPY", "p-moved", headers=[self.dest("p-copy")]).status, 201)
        self.assertEqual(self.dead("p-copy", "dir")["dir"].text, "d")
        self.assertEqual(self.dead("p-copy/f.txt", "file")["file"].text, "f")
        self.assertEqual(self.put("p-copy/f.txt", b"overwritten"), 204)  # kept, as Apache
        self.assertEqual(self.dead("p-copy/f.txt", "file")["file"].text, "f")
        self.assertEqual(self.dav("DELETE", "p-copy/f.txt").status, 204)
        self.put("p-copy/f.txt", b"new")
        self.assertEqual(self.dead("p-copy/f.txt", "file"), {})
        self.assertEqual(self.dav("DELETE", "p-copy").status, 204)
        self.dav("MKCOL", "p-copy")
        self.assertEqual(self.dead("p-copy", "dir"), {})

    def test_past_the_per_resource_limit_proppatch_is_507_and_changes_nothing(self):
        self.put("p-big.txt", b"x")
        r = self.dav("PROPPATCH", "p-big.txt",
                     data=propertyupdate([("small", "1"), ("big", "v" * 5000)]))
        self.assertEqual(r.status, 507)
        self.assertIn(b"dead properties too large", r.body)
        self.assertEqual(self.dead("p-big.txt", "small", "big"), {})
        r = self.dav("PROPPATCH", "p-big.txt",
                     data=propertyupdate([("n%d" % i, "v") for i in range(65)]))
        self.assertEqual(r.status, 507)
        self.assertIn(b"too many dead properties", r.body)

    def test_bad_bodies_get_400_with_a_reason(self):
        self.put("p-bad.txt", b"x")
        for body in (b"<D:propfind xmlns:D='DAV:'><D:prop>", b"<x:other xmlns:x='urn:x'/>",
                     b"<!DOCTYPE x [<!ENTITY a 'b'>]><D:propfind xmlns:D='DAV:'><D:allprop/>"
                     b"</D:propfind>"):
            for method in ("PROPFIND", "PROPPATCH"):
                r = self.dav(method, "p-bad.txt", headers=["Depth: 0"], data=body)
                self.assertEqual(r.status, 400, (method, body, r.body))
                self.assertEqual(r.body.count(b"\n"), 1, r.body)

    def test_depth_1_of_a_10000_file_folder_is_complete_and_streamed(self):
        # The files are made on the disk directly (10,000 PUTs would take
        # long); the reply outgrows the buffered size and goes in chunks.
        self.assertEqual(self.dav("MKCOL", "p-many").status, 201)
        count = 10_000
        folder = os.path.join(self.server.user_dir("alice"), "p-many")
        for i in range(count):
            write_file(os.path.join(folder, "f%05d" % i), b"")
        r = self.dav("PROPFIND", "p-many", headers=["Depth: 1"])
        self.assertEqual(r.status, 207)
        self.assertEqual(r.headers.get("transfer-encoding"), "chunked")
        hrefs = [e.text for e in ElementTree.fromstring(r.body).iter(D + "href")]
        self.assertEqual(len(hrefs), count + 1)
        self.assertEqual(len(set(hrefs)), count + 1)
