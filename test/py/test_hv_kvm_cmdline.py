"""qemu command lines built from hvparams (pure: no qemu is run here)."""

import json

import pytest

from ganeti import constants, errors, objects
from ganeti.hypervisor import hv_kvm
from ganeti.hypervisor.hv_kvm import cmdline, console, netdev
from ganeti.hypervisor.hv_kvm import runtime as rt

SOCKETS = cmdline.Sockets(
    qmp="/run/kvm/ctrl/i1.qmp",
    serial="/run/kvm/ctrl/i1.serial",
    pidfile="/run/kvm/pid/i1",
    qga="/run/kvm/ctrl/i1.qga",
    chroot="/run/kvm/chroot/i1",
)
DISK = cmdline.DiskSpec("/var/run/ganeti/instance-disks/i1:0")


def build(hvparams=None, disks=(DISK,), memory=128, vcpus=1, port=None):
    return cmdline.build_base(
        "i1", "1b2c3d4e-0000-4000-8000-000000000001", hvparams or {}, memory, vcpus,
        list(disks), SOCKETS, port,
    )  # fmt: skip


def arg_after(cmd, flag, nth=0):
    """The value following the nth occurrence of ``flag``."""
    positions = [i for i, a in enumerate(cmd) if a == flag]
    return cmd[positions[nth] + 1]


def values(cmd, flag):
    return [cmd[i + 1] for i, a in enumerate(cmd) if a == flag]


def blockdevs(cmd):
    return [json.loads(v) for v in values(cmd, "-blockdev")]


class TestBasics:
    def test_defaults(self):
        cmd = build()
        assert cmd[0] == "/usr/bin/kvm"
        assert arg_after(cmd, "-name") == "i1"
        assert arg_after(cmd, "-uuid") == "1b2c3d4e-0000-4000-8000-000000000001"
        assert arg_after(cmd, "-machine") == "pc"
        assert "-accel" not in cmd
        assert arg_after(cmd, "-m") == "128"
        assert arg_after(cmd, "-smp") == "1"
        assert arg_after(cmd, "-pidfile") == SOCKETS.pidfile
        assert "-daemonize" in cmd and "-nodefaults" in cmd
        assert "-S" not in cmd and "-incoming" not in cmd
        # QMP monitor and serial console on their Unix sockets
        chardevs = values(cmd, "-chardev")
        assert "socket,id=qmp0,path=/run/kvm/ctrl/i1.qmp,server=on,wait=off" in chardevs
        assert "socket,id=serial0,path=/run/kvm/ctrl/i1.serial,server=on,wait=off" in chardevs
        assert arg_after(cmd, "-mon") == "chardev=qmp0,mode=control"
        assert arg_after(cmd, "-serial") == "chardev:serial0"
        # default kernel (Ganeti's default kernel_path) with root, args, console
        assert arg_after(cmd, "-kernel") == "/boot/vmlinuz-3-kvmU"
        assert "-initrd" not in cmd
        assert arg_after(cmd, "-append") == "root=/dev/vda1 ro console=ttyS0,38400"
        assert arg_after(cmd, "-boot") == "order=c"
        assert values(cmd, "-display") == ["none"]
        assert "-vnc" not in cmd
        assert "-no-reboot" not in cmd and "-no-shutdown" not in cmd
        assert "virtio-balloon-pci,id=balloon0" in values(cmd, "-device")

    def test_tcg_and_kvm_flags(self):
        assert arg_after(build({"kvm_flag": "disabled"}), "-accel") == "tcg"
        assert arg_after(build({"kvm_flag": "enabled"}), "-accel") == "kvm"
        with pytest.raises(errors.HypervisorError, match="kvm_flag"):
            build({"kvm_flag": "maybe"})

    @pytest.mark.parametrize(
        "mtype, version, expected",
        [
            ("", "", "pc"),
            ("pc", "", "pc"),
            ("i440fx", "", "pc"),
            ("q35", "", "q35"),
            ("q35", "pc-q35-7.2", "pc-q35-7.2"),
            ("", "pc-i440fx-7.2", "pc-i440fx-7.2"),
        ],
    )
    def test_machine(self, mtype, version, expected):
        cmd = build({"machine_type": mtype, "machine_version": version})
        assert arg_after(cmd, "-machine") == expected

    def test_machine_without_acpi(self):
        assert arg_after(build({"acpi": False}), "-machine") == "pc,acpi=off"
        assert (
            arg_after(build({"acpi": False, "machine_type": "q35"}), "-machine") == "q35,acpi=off"
        )

    def test_unknown_machine_type(self):
        with pytest.raises(errors.HypervisorError, match="machine_type"):
            build({"machine_type": "virt"})

    def test_cpu_and_smp(self):
        cmd = build(
            {"cpu_type": "qemu64", "cpu_cores": 2, "cpu_threads": 1, "cpu_sockets": 2}, vcpus=4
        )
        assert arg_after(cmd, "-cpu") == "qemu64"
        assert arg_after(cmd, "-smp") == "4,cores=2,threads=1,sockets=2"
        assert "-cpu" not in build()

    def test_memory_and_vcpus_must_be_positive(self):
        with pytest.raises(errors.HypervisorError, match="memory"):
            build(memory=0)
        with pytest.raises(errors.HypervisorError, match="vCPU"):
            build(vcpus=0)

    def test_mem_path_localtime_keymap(self):
        cmd = build({"mem_path": "/hugepages", "use_localtime": True, "keymap": "de"})
        assert arg_after(cmd, "-mem-path") == "/hugepages"
        assert arg_after(cmd, "-rtc") == "base=localtime"
        assert arg_after(cmd, "-k") == "de"

    def test_kvm_path_and_extra(self):
        cmd = build(
            {
                "kvm_path": "/usr/bin/qemu-system-x86_64",
                "kvm_extra": "-global kvm-pit.lost_tick_policy=delay -msg 'timestamp=on'",
            }
        )
        assert cmd[0] == "/usr/bin/qemu-system-x86_64"
        assert cmd[-4:] == ["-global", "kvm-pit.lost_tick_policy=delay", "-msg", "timestamp=on"]
        with pytest.raises(errors.HypervisorError, match="kvm_extra"):
            build({"kvm_extra": "-append 'unclosed"})


class TestKernel:
    def test_kernel_initrd_args(self):
        cmd = build(
            {
                "kernel_path": "/boot/vmlinuz",
                "initrd_path": "/boot/initrd.gz",
                "root_path": "/dev/vda2",
                "kernel_args": "ro quiet guestip=10.0.0.2/24",
                "serial_speed": 115200,
            }
        )
        assert arg_after(cmd, "-kernel") == "/boot/vmlinuz"
        assert arg_after(cmd, "-initrd") == "/boot/initrd.gz"
        assert arg_after(cmd, "-append") == (
            "root=/dev/vda2 ro quiet guestip=10.0.0.2/24 console=ttyS0,115200"
        )

    def test_no_root_no_serial(self):
        cmd = build({"root_path": "", "kernel_args": "quiet", "serial_console": False})
        assert arg_after(cmd, "-append") == "quiet"
        assert "-serial" not in cmd
        assert not any("serial0" in c for c in values(cmd, "-chardev"))

    def test_root_path_none(self):
        assert arg_after(build({"root_path": None}), "-append") == "ro console=ttyS0,38400"

    def test_no_kernel(self):
        cmd = build({"kernel_path": ""})
        assert "-kernel" not in cmd and "-append" not in cmd and "-initrd" not in cmd


class TestDisks:
    def test_paravirtual_blockdev(self):
        cmd = build(
            disks=[
                cmdline.DiskSpec("/d/a"),
                cmdline.DiskSpec("/dev/loop3", cmdline.KIND_BLOCK, True),
            ]
        )
        nodes = blockdevs(cmd)
        assert nodes[0] == {
            "driver": "raw",
            "node-name": "disk0",
            "read-only": False,
            "file": {"driver": "file", "filename": "/d/a", "aio": "threads"},
        }
        assert nodes[1]["file"]["driver"] == "host_device"
        assert nodes[1]["read-only"] is True
        devices = values(cmd, "-device")
        assert "virtio-blk-pci,drive=disk0,id=disk0-dev" in devices
        assert "virtio-blk-pci,drive=disk1,id=disk1-dev" in devices

    def test_commas_in_paths_survive(self):
        cmd = build(disks=[cmdline.DiskSpec("/d/a,b")])
        assert blockdevs(cmd)[0]["file"]["filename"] == "/d/a,b"

    def test_ide(self):
        cmd = build({"disk_type": "ide"}, disks=[DISK, DISK])
        devices = values(cmd, "-device")
        assert "ide-hd,drive=disk0,id=disk0-dev" in devices
        assert "ide-hd,drive=disk1,id=disk1-dev" in devices

    @pytest.mark.parametrize(
        "disk_type, model",
        [("scsi", "scsi-hd"), ("scsi-hd", "scsi-hd"), ("scsi-block", "scsi-block")],
    )
    def test_scsi(self, disk_type, model):
        cmd = build({"disk_type": disk_type, "scsi_controller_type": "virtio-scsi-pci"})
        devices = values(cmd, "-device")
        assert devices[0] == "virtio-scsi-pci,id=scsi"
        assert "%s,drive=disk0,id=disk0-dev,bus=scsi.0,scsi-id=0" % model in devices

    def test_scsi_default_controller_is_lsi(self):
        assert values(build({"disk_type": "scsi"}), "-device")[0] == "lsi53c895a,id=scsi"

    def test_no_scsi_controller_without_disks(self):
        assert not any(
            "scsi" in d for d in values(build({"disk_type": "scsi"}, disks=[]), "-device")
        )

    @pytest.mark.parametrize(
        "disk_type, drive_if", [("sd", "sd"), ("pflash", "pflash"), ("ioemu", "ide")]
    )
    def test_legacy_types_use_drive(self, disk_type, drive_if):
        cmd = build({"disk_type": disk_type})
        assert values(cmd, "-drive") == ["file=%s,format=raw,if=%s" % (DISK.path, drive_if)]
        assert "-blockdev" not in cmd

    def test_userspace_uri(self):
        cmd = build(disks=[cmdline.DiskSpec("rbd:pool/img", cmdline.KIND_URI)])
        assert values(cmd, "-drive") == ["file=rbd:pool/img,format=raw,if=none,id=disk0"]
        assert "virtio-blk-pci,drive=disk0,id=disk0-dev" in values(cmd, "-device")

    @pytest.mark.parametrize(
        "cache, expected, write_cache_off",
        [
            ("default", None, False),
            ("none", {"direct": True, "no-flush": False}, False),
            ("writeback", {"direct": False, "no-flush": False}, False),
            ("writethrough", {"direct": False, "no-flush": False}, True),
        ],
    )
    def test_cache(self, cache, expected, write_cache_off):
        cmd = build({"disk_cache": cache})
        node = blockdevs(cmd)[0]
        assert node.get("cache") == expected
        device = [d for d in values(cmd, "-device") if "drive=disk0" in d][0]
        assert device.endswith(",write-cache=off") == write_cache_off

    def test_aio_and_discard(self):
        node = blockdevs(build({"disk_aio": "io_uring", "disk_discard": "unmap"}))[0]
        assert node["file"]["aio"] == "io_uring"
        assert node["discard"] == "unmap"
        assert "discard" not in blockdevs(build())[0]

    def test_cdroms_and_boot_order(self):
        cmd = build(
            {
                "cdrom_image_path": "/iso/a.iso",
                "cdrom2_image_path": "/iso/b.iso",
                "boot_order": "cdrom",
            }
        )
        cds = [n for n in blockdevs(cmd) if n["node-name"].startswith("cdrom")]
        assert [c["file"]["filename"] for c in cds] == ["/iso/a.iso", "/iso/b.iso"]
        assert all(c["read-only"] for c in cds)
        assert "ide-cd,drive=cdrom0,id=cdrom0-dev" in values(cmd, "-device")
        assert arg_after(cmd, "-boot") == "order=d"

    def test_scsi_cdrom_adds_controller_once(self):
        cmd = build(
            {"cdrom_image_path": "/iso/a.iso", "cdrom_disk_type": "scsi", "disk_type": "scsi"}
        )
        devices = values(cmd, "-device")
        assert [d for d in devices if d.endswith("id=scsi")] == ["lsi53c895a,id=scsi"]
        assert "scsi-cd,drive=cdrom0,id=cdrom0-dev,bus=scsi.0" in devices

    def test_boot_from_cdrom_needs_image(self):
        with pytest.raises(errors.HypervisorError, match="cdrom_image_path"):
            build({"boot_order": "cdrom"})

    @pytest.mark.parametrize("order, letter", [("disk", "c"), ("network", "n")])
    def test_boot_orders(self, order, letter):
        assert arg_after(build({"boot_order": order}), "-boot") == "order=%s" % letter

    def test_floppy(self):
        cmd = build({"floppy_image_path": "/f.img", "boot_order": "floppy"})
        assert "floppy,drive=floppy0,id=floppy0-dev" in values(cmd, "-device")
        assert arg_after(cmd, "-boot") == "order=a"
        with pytest.raises(errors.HypervisorError, match="floppy"):
            build({"floppy_image_path": "/f.img", "machine_type": "q35"})


class TestNics:
    @pytest.mark.parametrize(
        "nic_type, model",
        [
            ("paravirtual", "virtio-net-pci"),
            ("e1000", "e1000"),
            ("rtl8139", "rtl8139"),
            ("i82551", "i82551"),
        ],
    )
    def test_models(self, nic_type, model):
        args = cmdline.nic_args([cmdline.NicSpec("aa:00:00:11:22:33", [7])], {"nic_type": nic_type})
        assert args == [
            "-netdev",
            "tap,id=nic0,fd=7",
            "-device",
            "%s,netdev=nic0,id=nic0-dev,mac=aa:00:00:11:22:33" % model,
        ]

    def test_vhost_and_multiqueue(self):
        args = cmdline.nic_args(
            [cmdline.NicSpec("aa:00:00:11:22:33", [7, 8])],
            {"nic_type": "paravirtual", "vhost_net": True},
        )
        assert args[1] == "tap,id=nic0,fds=7:8,vhost=on"
        assert args[3].endswith(",mq=on,vectors=6")

    def test_vhost_only_for_virtio(self):
        args = cmdline.nic_args(
            [cmdline.NicSpec("aa:00:00:11:22:33", [7])], {"nic_type": "e1000", "vhost_net": True}
        )
        assert args[1] == "tap,id=nic0,fd=7"

    def test_ne2k_isa_needs_pc(self):
        with pytest.raises(errors.HypervisorError, match="ISA"):
            cmdline.nic_args(
                [cmdline.NicSpec("aa:00:00:11:22:33", [7])],
                {"nic_type": "ne2k_isa", "machine_type": "q35"},
            )

    def test_no_fd(self):
        with pytest.raises(errors.HypervisorError, match="tap"):
            cmdline.nic_args([cmdline.NicSpec("aa:00:00:11:22:33", [])], {})

    def test_finish(self):
        base = build()
        cmd = cmdline.finish(
            base,
            [cmdline.NicSpec("aa:00:00:11:22:33", [9])],
            {},
            paused=True,
            incoming=("10.0.0.2", 8102),
        )
        assert cmd[: len(base)] == base
        assert cmd[len(base) :] == [
            "-netdev", "tap,id=nic0,fd=9",
            "-device", "virtio-net-pci,netdev=nic0,id=nic0-dev,mac=aa:00:00:11:22:33",
            "-S", "-incoming", "tcp:10.0.0.2:8102",
        ]  # fmt: skip
        assert cmdline.finish(base, [], {}, paused=False, incoming=("::1", 1))[-2:] == [
            "-incoming",
            "tcp:[::1]:1",
        ]
        assert "-S" not in cmdline.finish(base, [], {}, paused=False)


class TestDisplayAndBehaviour:
    def test_vnc(self):
        cmd = build({"vnc_bind_address": "127.0.0.1"}, port=5905)
        assert arg_after(cmd, "-vnc") == "127.0.0.1:5"
        assert arg_after(cmd, "-vga") == "std"
        assert "-display" not in cmd

    def test_vnc_ipv6_password_tls(self):
        cmd = build(
            {"vnc_bind_address": "::1", "vnc_password_file": "/etc/ganeti/vnc-cluster-password", "vnc_tls": True, "vnc_x509_path": "/etc/x509", "vnc_x509_verify": True},
            port=5901,
        )  # fmt: skip
        assert arg_after(cmd, "-vnc") == "[::1]:1,password=on,tls-creds=vnctls0"
        assert (
            arg_after(cmd, "-object")
            == "tls-creds-x509,id=vnctls0,endpoint=server,dir=/etc/x509,verify-peer=on"
        )

    def test_vnc_unix_socket(self):
        assert (
            arg_after(build({"vnc_bind_address": "/run/vnc.sock"}), "-vnc") == "unix:/run/vnc.sock"
        )

    def test_vnc_needs_port(self):
        with pytest.raises(errors.HypervisorError, match="network port"):
            build({"vnc_bind_address": "0.0.0.0"}, port=None)
        with pytest.raises(errors.HypervisorError, match="vnc_bind_address"):
            build({"vnc_bind_address": "eth0"}, port=5900)

    def test_vga_and_mouse(self):
        cmd = build({"vga": "cirrus", "usb_mouse": "tablet"})
        assert arg_after(cmd, "-vga") == "cirrus"
        assert arg_after(cmd, "-display") == "none"
        assert "usb-tablet" in values(cmd, "-device")

    def test_reboot_behaviour_and_user_shutdown(self):
        assert "-no-reboot" in build({"reboot_behavior": "exit"})
        assert "-no-shutdown" in build({"user_shutdown": True})
        with pytest.raises(errors.HypervisorError, match="reboot_behavior"):
            build({"reboot_behavior": "explode"})

    def test_guest_agent(self):
        cmd = build({"use_guest_agent": True})
        assert "socket,id=qga0,path=/run/kvm/ctrl/i1.qga,server=on,wait=off" in values(
            cmd, "-chardev"
        )
        assert "virtserialport,bus=vserial0.0,chardev=qga0,name=org.qemu.guest_agent.0" in values(
            cmd, "-device"
        )

    def test_security(self):
        cmd = build({"security_model": "user", "security_domain": "kvmuser", "use_chroot": True})
        assert arg_after(cmd, "-runas") == "kvmuser"
        assert arg_after(cmd, "-chroot") == SOCKETS.chroot
        with pytest.raises(errors.HypervisorError, match="security_domain"):
            build({"security_model": "user"})
        with pytest.raises(errors.HypervisorError, match="pool"):
            build({"security_model": "pool"})

    @pytest.mark.parametrize("key", ["spice_bind", "soundhw", "usb_devices"])
    def test_unsupported_are_refused(self, key):
        with pytest.raises(errors.HypervisorError, match=key):
            build({key: "x"})


class TestCpuMask:
    @pytest.mark.parametrize(
        "mask, vcpus, expected",
        [
            ("all", 2, None),
            ("", 1, None),
            ("0-2,5", 1, [{0, 1, 2, 5}]),
            ("0:1-2", 2, [{0}, {1, 2}]),
            ("all:3", 2, [set(), {3}]),
        ],
    )
    def test_parse(self, mask, vcpus, expected):
        assert cmdline.parse_cpu_mask(mask, vcpus) == expected

    @pytest.mark.parametrize("mask, vcpus", [("0:1", 3), ("a-b", 1), ("3-1", 1)])
    def test_bad(self, mask, vcpus):
        with pytest.raises(errors.HypervisorError, match="cpu_mask"):
            cmdline.parse_cpu_mask(mask, vcpus)


class TestParameterChecks:
    def test_defaults_pass(self):
        hv_kvm.KVMHypervisor.check_parameter_syntax(dict(constants.HVC_DEFAULTS[constants.HT_KVM]))
        hv_kvm.KVMHypervisor.check_parameter_syntax({"machine_type": "q35", "kvm_flag": "disabled"})

    @pytest.mark.parametrize(
        "params, match",
        [
            ({"disk_type": "floppy"}, "disk_type"),
            ({"nic_type": "virtio"}, "nic_type"),
            ({"machine_type": "virt"}, "machine_type"),
            ({"serial_speed": 12345}, "serial_speed"),
            ({"acpi": "yes"}, "acpi"),
            ({"migration_port": 0}, "migration_port"),
            ({"cpu_mask": "x"}, "cpu_mask"),
            ({"vnc_bind_address": "not-an-ip"}, "vnc_bind_address"),
            ({"kernel_path": "relative/vmlinuz"}, "kernel_path"),
            ({"no_such_param": 1}, "no_such_param"),
            ({"initrd_path": "/i", "kernel_path": ""}, "kernel"),
            ({"disk_aio": "native", "disk_cache": "default"}, "native"),
            ({"spice_bind": "0.0.0.0"}, "SPICE"),
            ({"machine_type": "q35", "nic_type": "ne2k_isa"}, "ISA"),
        ],
    )
    def test_bad(self, params, match):
        with pytest.raises(errors.HypervisorError, match=match):
            hv_kvm.KVMHypervisor.check_parameter_syntax(params)

    def test_validate_checks_files(self, tmp_path):
        hv = hv_kvm.KVMHypervisor(str(tmp_path))
        with pytest.raises(errors.HypervisorError, match="KVM binary"):
            hv.validate_parameters({"kvm_path": str(tmp_path / "nokvm")})
        fake_kvm = tmp_path / "kvm"
        fake_kvm.write_text("#!/bin/sh\n")
        fake_kvm.chmod(0o755)
        with pytest.raises(errors.HypervisorError, match="kernel_path"):
            hv.validate_parameters(
                {"kvm_path": str(fake_kvm), "kernel_path": str(tmp_path / "vmlinuz")}
            )
        (tmp_path / "vmlinuz").write_text("k")
        hv.validate_parameters(
            {"kvm_path": str(fake_kvm), "kernel_path": str(tmp_path / "vmlinuz")}
        )

    def test_verify(self, tmp_path):
        hv = hv_kvm.KVMHypervisor(str(tmp_path))
        assert "KVM binary" in hv.verify({"kvm_path": str(tmp_path / "nokvm")})


def _instance(**kw):
    data = {
        "name": "i1",
        "uuid": "1b2c3d4e-0000-4000-8000-000000000001",
        "hypervisor": "kvm",
        "hvparams": {"kvm_flag": "disabled"},
        "beparams": {"maxmem": 256, "minmem": 128, "vcpus": 2},
        "nics": [{"mac": "aa:00:00:11:22:33", "nicparams": {"mode": "bridged", "link": "br0"}}],
        "network_port": 5902,
    }
    data.update(kw)
    return objects.Instance.from_dict(data)


class TestRuntimeGeneration:
    def test_generate_runtime(self, tmp_path):
        hv = hv_kvm.KVMHypervisor(str(tmp_path))
        disk_file = tmp_path / "disk0"
        disk_file.write_bytes(b"\0" * 512)
        disk = objects.Disk.from_dict({"dev_type": "file", "size": 1, "mode": "ro", "uuid": "d-1"})
        runtime = hv.generate_runtime(_instance(), [(disk, str(disk_file), None)])
        assert runtime.memory == 256 and runtime.vcpus == 2
        assert runtime.run_dir == str(tmp_path)
        assert runtime.nics[0]["mac"] == "aa:00:00:11:22:33"
        assert runtime.disks == [[disk.to_dict(), str(disk_file), None]]
        cmd = runtime.kvm_cmd
        assert arg_after(cmd, "-pidfile") == str(tmp_path / "pid" / "i1")
        assert blockdevs(cmd)[0]["read-only"] is True
        assert arg_after(cmd, "-smp") == "2"
        # the runtime survives a round trip through its serialized form
        again = rt.KvmRuntime.deserialize(runtime.serialize())
        assert again == runtime

    def test_missing_disk(self, tmp_path):
        hv = hv_kvm.KVMHypervisor(str(tmp_path))
        disk = objects.Disk.from_dict({"dev_type": "file", "size": 1, "uuid": "d-1"})
        with pytest.raises(errors.HypervisorError, match="not available"):
            hv.generate_runtime(_instance(), [(disk, str(tmp_path / "nope"), None)])

    def test_bad_runtime_data(self):
        with pytest.raises(errors.HypervisorError, match="runtime"):
            rt.KvmRuntime.deserialize("{not json")
        with pytest.raises(errors.HypervisorError, match="command line"):
            rt.KvmRuntime.deserialize('{"name": "x"}')

    def test_bad_instance_names(self, tmp_path):
        dirs = rt.RuntimeDirs(str(tmp_path))
        for name in ("", "../etc", ".hidden", "a/b"):
            with pytest.raises(errors.HypervisorError, match="Invalid instance name"):
                dirs.pid_file(name)


class TestNetdevCommands:
    def test_bridged(self):
        nic = netdev.NicConfig(mode="bridged", link="br0", mac="aa:00:00:11:22:33")
        assert netdev.ifup_commands("tap3", nic, 1500) == [
            ["ip", "link", "set", "dev", "tap3", "mtu", "1500"],
            ["ip", "link", "set", "dev", "tap3", "master", "br0"],
            ["ip", "link", "set", "dev", "tap3", "up"],
        ]

    def test_bridged_vlans(self):
        nic = netdev.NicConfig(mode="bridged", link="br0", vlan=".10:20:30")
        cmds = netdev.ifup_commands("tap3", nic)
        assert ["bridge", "vlan", "add", "dev", "tap3", "vid", "10", "pvid", "untagged"] in cmds
        assert ["bridge", "vlan", "add", "dev", "tap3", "vid", "30"] in cmds
        with pytest.raises(errors.HypervisorError, match="VLAN"):
            netdev.ifup_commands("tap3", netdev.NicConfig(mode="bridged", link="br0", vlan=".x"))

    def test_ovs(self):
        nic = netdev.NicConfig(mode="openvswitch", link="sw0", vlan="100")
        assert netdev.ifup_commands("tap1", nic)[0] == [
            "ovs-vsctl",
            "--may-exist",
            "add-port",
            "sw0",
            "tap1",
            "tag=100",
        ]
        assert netdev.ifdown_commands("tap1", nic) == [
            ["ovs-vsctl", "--if-exists", "del-port", "sw0", "tap1"]
        ]

    def test_routed(self):
        nic = netdev.NicConfig(mode="routed", link="100", ip="192.0.2.10")
        cmds = netdev.ifup_commands("tap2", nic)
        assert ["ip", "route", "replace", "192.0.2.10", "dev", "tap2", "table", "100"] in cmds
        assert netdev.ifdown_commands("tap2", nic) == [
            ["ip", "route", "del", "192.0.2.10", "dev", "tap2", "table", "100"]
        ]

    def test_errors(self):
        with pytest.raises(errors.HypervisorError, match="bridge"):
            netdev.ifup_commands("tap0", netdev.NicConfig(mode="bridged", link=""))
        with pytest.raises(errors.HypervisorError, match="Unknown NIC mode"):
            netdev.ifup_commands("tap0", netdev.NicConfig(mode="vxlan", link="x"))

    def test_nic_config_from_object(self):
        nic = objects.NIC.from_dict(
            {
                "mac": "aa:00:00:11:22:33",
                "ip": "192.0.2.1",
                "nicparams": {"mode": "routed", "link": "rt", "vlan": ""},
            }
        )
        conf = netdev.nic_config(nic)
        assert (conf.mode, conf.link, conf.ip, conf.mac) == (
            "routed",
            "rt",
            "192.0.2.1",
            "aa:00:00:11:22:33",
        )
        env = netdev.hook_env("i1", "tap0", conf, 0)
        assert env["INTERFACE"] == "tap0" and env["MODE"] == "routed" and env["IP"] == "192.0.2.1"


class TestConsole:
    def _node(self):
        return objects.Node.from_dict({"name": "node1.example.com", "uuid": "n1"})

    def test_serial_console(self, tmp_path):
        inst = _instance()
        cons = console.get_instance_console(
            inst, self._node(), None, {"serial_console": True}, {}, run_dir=str(tmp_path)
        )
        assert cons["kind"] == constants.CONS_SSH
        assert cons["host"] == "node1.example.com"
        assert cons["user"] == "root"
        assert cons["command"] == [
            "/usr/bin/socat",
            "STDIO,raw,echo=0,escape=0x1d",
            "UNIX-CONNECT:%s/ctrl/i1.serial" % tmp_path,
        ]
        shown = console.show_cmd(cons, "cluster.example.com")
        assert shown.startswith("ssh ")
        assert "-oHostKeyAlias=cluster.example.com" in shown
        assert "-t root@node1.example.com" in shown
        assert "'/usr/bin/socat STDIO,raw,echo=0,escape=0x1d UNIX-CONNECT:" in shown

    def test_vnc_console(self):
        cons = hv_kvm.KVMHypervisor.get_instance_console(
            _instance(),
            self._node(),
            None,
            {"serial_console": False, "vnc_bind_address": "0.0.0.0"},
            {},
        )
        assert cons == {
            "instance": "i1",
            "kind": constants.CONS_VNC,
            "host": "node1.example.com",
            "port": 5902,
            "display": 2,
        }
        assert "display 2" in console.show_cmd(cons)

    def test_no_console(self):
        cons = hv_kvm.KVMHypervisor.get_instance_console(
            _instance(), self._node(), None, {"serial_console": False}, {}
        )
        assert cons["kind"] == constants.CONS_MESSAGE
        assert console.show_cmd(cons) == "No serial shell for instance i1"

    def test_main_show_cmd(self, capsys, monkeypatch):
        assert console.main(["--show-cmd", "i1"]) == 0
        assert "UNIX-CONNECT:" in capsys.readouterr().out
        assert console.main([]) == 2


def test_registered():
    from ganeti import hypervisor

    assert hypervisor.get_hypervisor_class(constants.HT_KVM) is hv_kvm.KVMHypervisor
    assert hv_kvm.KVMHypervisor.CAN_MIGRATE
