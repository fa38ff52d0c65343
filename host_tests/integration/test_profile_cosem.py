# SPDX-License-Identifier: MIT
"""Load profile 1 (1-0:99.1.0.255, KSMW 5.7) read with the independent dlms-cosem client: the
management client over TCP (HLS-5, general-glo-ciphering), the whole buffer in GET blocks and
by range (dlms-cosem's RangeDescriptor: clock restricting object, all columns; it has no
entry descriptor nor selected values). Values checked against the prefill oracle."""
import datetime

from dlms_cosem.cosem.capture_object import CaptureObject
from dlms_cosem.cosem.selective_access import RangeDescriptor
from dlms_cosem.protocol import xdlms

from dc_client import DataAccessError, ProtocolViolation, attribute, decode
from lp1_fixture import CLOCK, LP1, N
from test_interop_cosem import management


def get_by_range(m, lo, hi):
    """GET LP1 buffer with a range_descriptor, following GET blocks -> decoded rows."""
    rd = RangeDescriptor(
        restricting_object=CaptureObject(cosem_attribute=attribute(8, CLOCK, 2), data_index=0),
        from_value=lo, to_value=hi)
    request = xdlms.GetRequestNormal(cosem_attribute=attribute(7, LP1, 2), access_selection=rd)
    m.client.send(request)
    data = bytearray()
    while True:
        response = m._next()
        m._check_iid(request, response)
        if isinstance(response, xdlms.GetResponseNormal):
            return decode(response.data)
        if isinstance(response, xdlms.GetResponseNormalWithError):
            raise DataAccessError(response.error)
        if isinstance(response, (xdlms.GetResponseWithBlock, xdlms.GetResponseLastBlock)):
            data += response.data
            if isinstance(response, xdlms.GetResponseLastBlock):
                return decode(bytes(data))
            m.client.send(xdlms.GetRequestNext(
                block_number=response.block_number,
                invoke_id_and_priority=response.invoke_id_and_priority))
            continue
        raise ProtocolViolation("unexpected answer to GET: %r" % (response,))


def test_lp1_whole_buffer_with_dlms_cosem(lp1_meter):
    lp1 = lp1_meter.lp1
    with management(lp1_meter) as m:
        m.associate()
        assert m.get(7, LP1, 7) == N
        rows = m.get(7, LP1, 2)
        assert len(m.last_get_blocks) > 150
        m.release()
    assert len(rows) == N
    assert 0 <= lp1.check(rows) <= 2


def test_lp1_by_range_with_dlms_cosem(lp1_meter):
    lp1 = lp1_meter.lp1
    cest = datetime.timezone(datetime.timedelta(hours=2))
    with management(lp1_meter) as m:
        m.associate()
        rows = get_by_range(m, lp1.time(700), lp1.time(759))  # IDIS 7.7.1: both included
        assert len(rows) == 60 and lp1.check(rows) == 700
        # the bounds as local times of another zone (deviation -120): the same instants
        rows = get_by_range(m, lp1.time(1500).astimezone(cest),
                            lp1.time(1502).astimezone(cest))
        assert len(rows) == 3 and lp1.check(rows) == 1500
        rows = get_by_range(m, lp1.time(2500) + datetime.timedelta(seconds=1),
                            lp1.time(2501) + datetime.timedelta(seconds=1))
        assert len(rows) == 1 and lp1.check(rows) == 2501
        # a long range: several GET blocks
        rows = get_by_range(m, lp1.time(3000), lp1.time(3999))
        assert len(rows) == 1000 and lp1.check(rows) == 3000
        assert get_by_range(m, lp1.time(10), lp1.time(9)) == []
        m.release()
