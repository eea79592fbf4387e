-- AlterTable
ALTER TABLE "ItemValue" ADD COLUMN     "folded" TEXT;
